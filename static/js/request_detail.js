// The request page: insert a canned response (filled in for this request by the server) into the reply box.
// The picker arrives with HTMX after the page loads, so the click is handled on the document.
// And refuse more files than one message may carry before sending: the server would refuse the whole post
// unread, and what was typed would be lost.
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

(function () {
  "use strict";
  var selector = "#reply-form input[type=file][data-max-files]";
  function check(input) {
    var tooMany = input.files && input.files.length > Number(input.dataset.maxFiles);
    input.setCustomValidity(tooMany ? input.dataset.tooMany : "");
    return !tooMany;
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(selector) && !check(event.target)) {
      event.target.reportValidity();
    }
  });
  document.addEventListener("submit", function (event) {
    var input = event.target.querySelector ? event.target.querySelector(selector) : null;
    if (input && !check(input)) {
      event.preventDefault();
      input.reportValidity();
    }
  });
})();
