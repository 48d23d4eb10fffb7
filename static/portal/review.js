// Active review time: counted only while the page is visible and the reviewer
// has been active (mouse, keys, scroll) in the last 60 seconds.
(function () {
  "use strict";
  var input = document.getElementById("active_seconds");
  var shown = document.getElementById("active-time");
  if (!input) return;
  var seconds = 0;
  var lastActivity = Date.now();
  var IDLE_MS = 60000;
  ["mousemove", "keydown", "scroll", "click", "wheel", "touchstart"].forEach(function (name) {
    window.addEventListener(name, function () { lastActivity = Date.now(); }, { passive: true });
  });
  setInterval(function () {
    if (document.visibilityState === "visible" && Date.now() - lastActivity < IDLE_MS) {
      seconds += 1;
      input.value = String(seconds);
      if (shown) shown.textContent = seconds + " s";
    }
  }, 1000);
})();

// Approve asks first: the dialog shows what is being signed (revision, files viewed, active time).
// Without JavaScript the button submits directly, and the server still asks when it was too fast.
(function () {
  "use strict";
  var button = document.getElementById("approve-button");
  var dialog = document.getElementById("approve-dialog");
  if (!button || !dialog || typeof dialog.showModal !== "function") return;
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var seconds = (document.getElementById("active_seconds") || {}).value || "0";
    var url = button.getAttribute("data-summary-url") + "?seconds=" + encodeURIComponent(seconds);
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        document.getElementById("approve-summary").innerHTML = html;
        dialog.showModal();
        document.getElementById("approve-confirm").focus();
      });
  });
  document.getElementById("approve-cancel").addEventListener("click", function () { dialog.close(); });
})();
