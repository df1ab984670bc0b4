// The queue page. Everything works without JavaScript (claim posts a plain form; leads assign with the
// bulk bar); with it: "select all" for bulk changes, and each row's assign menu, filled from the one
// member list in the page (<template id="assign-options">) when the page loads and whenever HTMX swaps a
// row back in.
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

  function fillAssignMenus(root) {
    var template = document.getElementById("assign-options");
    if (!template) return;
    root.querySelectorAll("form.row-assign").forEach(function (form) {
      var select = form.querySelector("select.assign-select");
      if (!select || select.options.length) return;
      select.appendChild(template.content.cloneNode(true));
      select.value = select.getAttribute("data-current") || "";
      form.hidden = false;
    });
  }

  fillAssignMenus(document);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    fillAssignMenus(event.detail.elt.parentNode || document);
  });
})();
