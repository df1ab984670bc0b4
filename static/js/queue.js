// The queue page: "select all" for bulk changes. Everything else works without JavaScript
// (claim and assign fall back to plain form posts when HTMX is not loaded).
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) return;
  all.addEventListener("change", function () {
    document.querySelectorAll("input.row-select").forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
