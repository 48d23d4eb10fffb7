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
