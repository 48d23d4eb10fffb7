// Shortcuts every page shares: "/" focuses the header search, "?" opens the list of all shortcuts
// (templates/navigation/_shortcuts.html). Page-specific keys live in queue.js and diff.js.
(function () {
  "use strict";
  if (window.countersignShortcuts) return;
  window.countersignShortcuts = true;

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function toggleShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (!dialog) return;
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".shortcuts-open")) toggleShortcuts();
  });

  document.addEventListener("keydown", function (event) {
    if (event.metaKey || event.ctrlKey || event.altKey) return;
    var search = document.getElementById("site-search");
    if (event.key === "Escape" && search && event.target === search) { search.blur(); return; }
    if (typing(event.target)) return;
    if (event.key === "?") { event.preventDefault(); toggleShortcuts(); return; }
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open) return;
    if (event.key === "/" && search) { event.preventDefault(); search.focus(); search.select(); }
  });
})();
