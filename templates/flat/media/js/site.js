// Sends the home page's echo form as JSON to the API, with the XSRF token in a header.
(function () {
  "use strict";

  var form = document.getElementById("echo-form");
  var result = document.getElementById("echo-result");
  if (!form || !result) {
    return;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-XSRFToken": form.elements._xsrf.value
      },
      body: JSON.stringify({ message: form.elements.message.value })
    })
      .then(function (response) {
        return response.json().then(function (data) {
          result.textContent = response.status + " " + JSON.stringify(data, null, 2);
        });
      })
      .catch(function (error) {
        result.textContent = "Request failed: " + error;
      })
      .then(function () {
        button.disabled = false;
      });
  });
})();
