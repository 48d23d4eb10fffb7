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
// <input data-filter-for="ID">: show only the options of the checkbox list ID whose label holds the typed text
// (ticked ones stay visible), the searchable multi-select of the incident form.
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    var box = event.target.closest && event.target.closest("[data-filter-for]");
    if (!box) return;
    var list = document.getElementById(box.getAttribute("data-filter-for"));
    if (!list) return;
    var text = box.value.trim().toLowerCase();
    Array.prototype.forEach.call(list.querySelectorAll("label"), function (label) {
      var input = label.querySelector("input");
      var keep = !text || (input && input.checked) || label.textContent.toLowerCase().indexOf(text) !== -1;
      (label.parentElement === list ? label : label.parentElement).hidden = !keep;
    });
  });
})();
