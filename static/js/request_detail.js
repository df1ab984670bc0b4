// The request page: insert a canned response (filled in for this request by the server) into the reply box.
// The picker arrives with HTMX after the page loads, so the click is handled on the document.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("#canned-insert") : null;
    var select = document.getElementById("canned-select");
    var body = document.querySelector("#reply-form textarea[name=body]");
    if (!button || !select || !body) return;
    fetch(select.value, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var before = body.value && !/\n$/.test(body.value) ? body.value + "\n\n" : body.value;
        body.value = before + data.body;
        body.focus();
      })
      .catch(function () {
        button.textContent = "Could not load it";
      });
  });
})();
