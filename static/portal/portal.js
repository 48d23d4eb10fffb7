// Behaviour every page shares, as delegated listeners: the Content-Security-Policy allows no inline
// handlers (onchange=, hx-on), so markup asks for behaviour with data attributes instead.
(function () {
  "use strict";
  // <select data-autosubmit>: submit its form as soon as the choice changes.
  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });
  // <button data-dismiss-form>: take its form off the page (the comment form's Cancel).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-dismiss-form]");
    if (!button) return;
    var form = button.closest("form");
    if (form) form.remove();
  });
})();
