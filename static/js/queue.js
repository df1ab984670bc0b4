// The queue page. Everything works without JavaScript (claim posts a plain form; leads assign with the
// bulk bar); with it: "select all" for bulk changes, and each active row's assign form for leads, copied
// from the one form in the page (<template id="row-assign">, the row's reference in place of
// ASSIGN-REFERENCE) when the page loads and whenever HTMX swaps a row back in.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input.row-select").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }

  var REFERENCE = /^[A-Za-z0-9-]+$/;

  function addAssignForms(root) {
    var template = document.getElementById("row-assign");
    if (!template) return;
    root.querySelectorAll(".row-assign-slot").forEach(function (slot) {
      var reference = slot.getAttribute("data-reference") || "";
      if (slot.firstElementChild || !REFERENCE.test(reference)) return;
      slot.innerHTML = template.innerHTML.split("ASSIGN-REFERENCE").join(reference);
      var select = slot.querySelector("select.assign-select");
      if (select) select.value = slot.getAttribute("data-current") || "";
      if (window.htmx) window.htmx.process(slot);
    });
  }

  addAssignForms(document);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    addAssignForms(event.detail.elt.parentNode || document);
  });
})();
