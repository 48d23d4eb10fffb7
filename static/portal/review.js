// Active review time: counted only while the page is visible and the reviewer
// has been active (mouse, keys, scroll) in the last 60 seconds. It starts from
// the time already counted when a refused verdict brought the page back.
(function () {
  "use strict";
  var input = document.getElementById("active_seconds");
  var shown = document.getElementById("active-time");
  if (!input) return;
  var seconds = parseInt(input.value, 10) || 0;
  var lastActivity = Date.now();
  var IDLE_MS = 60000;
  ["mousemove", "keydown", "scroll", "click", "wheel", "touchstart"].forEach(function (name) {
    window.addEventListener(name, function () { lastActivity = Date.now(); }, { passive: true });
  });
  setInterval(function () {
    if (document.visibilityState === "visible" && Date.now() - lastActivity < IDLE_MS) {
      seconds += 1;
      input.value = String(seconds);
      // As the server says durations (reviews/templatetags/humane.py): "45 s", "3 min 20 s", "12 min".
      if (shown) {
        var minutes = Math.floor(seconds / 60), rest = seconds % 60;
        shown.textContent = seconds < 60 ? seconds + " s" : seconds < 600 && rest ? minutes + " min " + rest + " s" : Math.round(seconds / 60) + " min";
      }
    }
  }, 1000);
})();

// Approve asks first: the dialog shows what is being signed (revision, files viewed, active time) and the
// threads that block it; while any does, "Sign off" is not offered. Without JavaScript the button submits
// directly, and the server refuses and keeps what was typed.
(function () {
  "use strict";
  var button = document.getElementById("approve-button");
  var dialog = document.getElementById("approve-dialog");
  if (!button || !dialog || typeof dialog.showModal !== "function") return;
  var confirm = document.getElementById("approve-confirm");
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var seconds = (document.getElementById("active_seconds") || {}).value || "0";
    var url = button.getAttribute("data-summary-url") + "?seconds=" + encodeURIComponent(seconds);
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var summary = document.getElementById("approve-summary");
        summary.innerHTML = html;
        var blocked = summary.querySelector("[data-blocking]");
        confirm.hidden = Boolean(blocked);
        confirm.disabled = Boolean(blocked);
        dialog.showModal();
        (blocked ? document.getElementById("approve-cancel") : confirm).focus();
      });
  });
  dialog.addEventListener("click", function (event) {
    // A blocking thread's link closes the dialog and goes to the thread.
    if (event.target.closest && event.target.closest(".blocking-link")) dialog.close();
  });
  document.getElementById("approve-cancel").addEventListener("click", function () { dialog.close(); });
})();
