// Small behaviours declared in the markup with data attributes, so that pages need no inline
// script (the Content-Security-Policy forbids it).
//   data-check-all="input[name=ids]"  a checkbox that ticks or unticks every matching box
//   data-autosubmit                   a select that submits its form when changed
//   data-print                        a button that prints the page
//   data-copy="#element-id"           a button that copies that input's value (data-copied: label after)
//   data-confirm="Question?"          on a form or a submit button: ask before submitting
//   data-select-on-focus              an input whose whole text is selected when it gets focus
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    var checkAll = target.closest("[data-check-all]");
    if (checkAll) {
      document.querySelectorAll(checkAll.dataset.checkAll).forEach(function (box) {
        box.checked = checkAll.checked;
      });
    }
    if (target.closest("[data-print]")) {
      window.print();
    }
    var copy = target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      var source = document.querySelector(copy.dataset.copy);
      if (source) {
        navigator.clipboard.writeText(source.value || source.textContent).then(function () {
          if (copy.dataset.copied) {
            copy.textContent = copy.dataset.copied;
          }
        });
      }
    }
    var confirmButton = target.closest("button[data-confirm], input[type=submit][data-confirm]");
    if (confirmButton && !window.confirm(confirmButton.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
      event.target.select();
    }
  });
  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-autosubmit]");
    if (select && select.form) {
      select.form.submit();
    }
  });
})();
