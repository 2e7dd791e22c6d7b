// Project pages: no inline scripts (the Content-Security-Policy forbids them).

// A select or checkbox marked data-autosubmit submits its form when changed.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.getAttribute && el.getAttribute("data-autosubmit") && el.form) {
    el.form.submit();
  }
});

// The board: drag a card onto another column to open the move form for that stage, where
// the evidence the stage needs is asked for (the server checks permission and evidence).
document.addEventListener("dragstart", function (event) {
  var card = event.target.closest && event.target.closest("[data-move-url]");
  if (card) {
    event.dataTransfer.setData("text/plain", card.getAttribute("data-move-url"));
    event.dataTransfer.effectAllowed = "move";
  }
});
document.addEventListener("dragover", function (event) {
  if (event.target.closest && event.target.closest(".board-column[data-stage]")) {
    event.preventDefault();
  }
});
document.addEventListener("drop", function (event) {
  var column = event.target.closest && event.target.closest(".board-column[data-stage]");
  var url = event.dataTransfer && event.dataTransfer.getData("text/plain");
  if (column && url && url.charAt(0) === "/") {
    event.preventDefault();
    window.location.href = url + "?to=" + encodeURIComponent(column.getAttribute("data-stage"));
  }
});
