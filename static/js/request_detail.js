// The request page: insert a canned response (filled in for this request by the server) into the reply box.
(function () {
  "use strict";
  var select = document.getElementById("canned-select");
  var button = document.getElementById("canned-insert");
  var body = document.querySelector("#reply-form textarea[name=body]");
  if (!select || !button || !body) return;
  button.addEventListener("click", function () {
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
