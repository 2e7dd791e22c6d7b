// guazhi UI behaviour: no inline scripts (the Content-Security-Policy forbids them).

// data-confirm="question" asks before going on: on a form, on the button that submits it, or
// on a link.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question =
    (button && button.getAttribute && button.getAttribute("data-confirm")) ||
    (form.getAttribute && form.getAttribute("data-confirm"));
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-confirm]");
  if (link && !window.confirm(link.getAttribute("data-confirm"))) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
