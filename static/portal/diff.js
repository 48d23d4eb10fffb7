// The change page's diff: keyboard shortcuts, folding files, and keeping the tree in step with "Viewed".
// Loaded once per window (htmx boosted navigations keep it); everything is looked up when it is needed.
(function () {
  "use strict";
  if (window.countersignDiff) return;
  window.countersignDiff = true;
  document.documentElement.classList.add("diff-js");

  var TOP = 80; // pixels from the top of the window that count as "the file being read"
  var foldOnSwap = {}; // file id -> fold state to apply once its header comes back from the server

  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }
  function files() { return all(".diff-file"); }

  function inView(element) {
    var box = element.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  }

  // The file the reader is on: the one holding focus if it is on screen, else the last one started above TOP.
  function currentIndex() {
    var list = files();
    var active = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".diff-file") : null;
    if (active && inView(active)) return list.indexOf(active);
    var index = -1;
    for (var i = 0; i < list.length; i++) {
      if (list[i].getBoundingClientRect().top <= TOP) index = i; else break;
    }
    return index;
  }

  function goToFile(step) {
    var list = files();
    if (!list.length) return;
    var next = Math.max(0, Math.min(list.length - 1, currentIndex() + step));
    var head = list[next].querySelector(".diff-file-head");
    list[next].scrollIntoView({ block: "start" });
    if (head) head.focus({ preventScroll: true });
  }

  function toggleViewed() {
    var list = files();
    var file = list[Math.max(0, currentIndex())];
    var box = file && file.querySelector(".viewed input[type=checkbox]");
    if (box) box.click();
  }

  function nextThread() {
    var threads = all(".thread");
    if (!threads.length) return;
    var next = threads.find(function (t) { return t.getBoundingClientRect().top > TOP + 1; }) || threads[0];
    if (!next.hasAttribute("tabindex")) next.setAttribute("tabindex", "-1");
    next.scrollIntoView({ block: "start" });
    next.focus({ preventScroll: true });
  }

  function switchView(mode) {
    var section = document.querySelector("[data-diff-view]");
    if (!section || section.getAttribute("data-diff-view") === mode) return;
    var url = new URL(window.location.href);
    url.searchParams.set("view", mode);
    var list = files();
    var index = currentIndex();
    url.hash = index >= 0 && list[index] ? list[index].id : "files";
    window.location.assign(url.toString());
  }

  function setFolded(file, folded) {
    file.classList.toggle("collapsed", folded);
    var button = file.querySelector(".diff-file-head .fold");
    if (button) button.setAttribute("aria-expanded", folded ? "false" : "true");
    // A placeholder that was folded away may now be on screen: let htmx look for revealed elements again.
    if (!folded) window.dispatchEvent(new Event("scroll"));
  }

  // After a header comes back from "Viewed": mark its file, its tree entry and the count.
  function syncViewed() {
    all(".diff-file-head[data-viewed]").forEach(function (head) {
      var file = head.closest(".diff-file");
      if (!file) return;
      var viewed = head.getAttribute("data-viewed") === "true";
      file.classList.toggle("is-viewed", viewed);
      if (Object.prototype.hasOwnProperty.call(foldOnSwap, file.id)) {
        setFolded(file, foldOnSwap[file.id]);
        delete foldOnSwap[file.id];
      } else {
        var button = head.querySelector(".fold");
        if (button) button.setAttribute("aria-expanded", file.classList.contains("collapsed") ? "false" : "true");
      }
      var entry = document.querySelector('.tree-file[data-anchor="' + file.id + '"]');
      if (entry) {
        entry.classList.toggle("viewed", viewed);
        var mark = entry.querySelector(".viewed-mark");
        if (mark) mark.textContent = viewed ? "✓" : "";
      }
    });
    var count = document.getElementById("viewed-count");
    if (count) count.textContent = String(all(".diff-file.is-viewed").length);
  }

  // The change page's cards start folded; each remembers, in this browser, whether the reader opened it. A card the
  // server opens (it holds something the reader must do) stays open.
  function initFolds() {
    all("details.fold-card[data-fold]:not([data-fold-ready])").forEach(function (card) {
      card.setAttribute("data-fold-ready", "");
      var key = "countersign.fold." + card.getAttribute("data-fold");
      var saved = null;
      try { saved = window.localStorage.getItem(key); } catch (e) { /* storage off: folded by default */ }
      if (saved === "open") card.open = true;
      card.addEventListener("toggle", function () {
        try { window.localStorage.setItem(key, card.open ? "open" : "closed"); } catch (e) { /* not remembered */ }
      });
    });
  }

  // The filter box above the file tree: files whose path holds every word typed stay, in the tree and the diffs.
  function filterFiles(query) {
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    all(".tree-file").forEach(function (item) {
      var link = item.querySelector("a");
      var path = (link && link.getAttribute("title") || "").toLowerCase();
      var match = words.every(function (w) { return path.indexOf(w) >= 0; });
      item.hidden = !match;
      if (match) shown++;
      var file = document.getElementById(item.getAttribute("data-anchor"));
      if (file) file.hidden = !match;
    });
    all(".tree-dir").forEach(function (dir) {
      dir.hidden = !dir.querySelector(".tree-file:not([hidden])");
    });
    var count = document.getElementById("file-filter-count");
    if (count) count.textContent = words.length ? shown + " of " + all(".tree-file").length : "";
    // Files brought back into view may be placeholders waiting to be revealed.
    window.dispatchEvent(new Event("scroll"));
  }

  // On narrow screens the file tree starts folded, above the diffs.
  function initPage() {
    initFolds();
    all("details.file-tree:not([data-ready])").forEach(function (tree) {
      tree.setAttribute("data-ready", "");
      if (window.matchMedia("(max-width: 900px)").matches) tree.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (event) {
    var fold = event.target.closest(".diff-file-head .fold");
    if (fold) {
      var file = fold.closest(".diff-file");
      setFolded(file, !file.classList.contains("collapsed"));
      return;
    }
    // Jumping to a file from the tree unfolds it.
    var link = event.target.closest(".file-tree a[href^='#']");
    if (link) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (target && target.classList.contains("collapsed")) setFolded(target, false);
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target.id === "file-filter") filterFiles(event.target.value);
  });

  document.addEventListener("change", function (event) {
    var box = event.target.closest(".diff-file-head .viewed input[type=checkbox]");
    if (box) foldOnSwap[box.closest(".diff-file").id] = box.checked;
  });

  document.addEventListener("keydown", function (event) {
    if (event.metaKey || event.ctrlKey || event.altKey) return;
    var target = event.target;
    var tag = (target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable) return;
    if (!document.querySelector("[data-diff-view]")) return;
    // "?" and the shared list are static/portal/shortcuts.js's; no diff key while the list is open.
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open) return;
    var actions = {
      j: function () { goToFile(1); },
      k: function () { goToFile(-1); },
      v: toggleViewed,
      n: nextThread,
      u: function () { switchView("unified"); },
      s: function () { switchView("split"); },
      a: function () {
        var approve = document.getElementById("approve-button");
        if (approve) { approve.scrollIntoView({ block: "center" }); approve.focus(); approve.click(); }
      },
    };
    var action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  });

  document.addEventListener("htmx:afterSettle", function () { syncViewed(); initPage(); });
  initPage();
})();
