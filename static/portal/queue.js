// Queue shortcuts: j/k move between rows, o or Enter opens the selected change.
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.queue-row")); }
  var current = -1;
  function select(i) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (row, n) { row.classList.toggle("selected", n === current); });
    all[current].focus({ preventScroll: false });
    all[current].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.metaKey || event.ctrlKey || event.altKey) return;
    if (!document.querySelector("#queue-table")) return;
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open) return;
    if (event.key === "j") { select(current + 1); event.preventDefault(); }
    else if (event.key === "k") { select(current - 1); event.preventDefault(); }
    else if ((event.key === "o" || event.key === "Enter") && current >= 0) {
      var row = rows()[current];
      if (row) { window.location.href = row.getAttribute("data-href"); event.preventDefault(); }
    }
  });
  document.body.addEventListener("htmx:afterSwap", function () { current = -1; });
})();
