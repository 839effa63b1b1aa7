// Long-poll chat client: fetch() only, no libraries, no eval.
// Only HTML that the server escaped (templates/message.html) is ever inserted.
(function () {
  "use strict";

  var FIRST_RETRY_MS = 500; // first delay after a failed poll
  var MAX_RETRY_MS = 30000; // the backoff doubles up to this cap

  var inbox = document.getElementById("inbox");
  var form = document.getElementById("messageform");
  var input = document.getElementById("message");
  var button = document.getElementById("send");
  var statusLine = document.getElementById("status");
  var updatesUrl = form.getAttribute("data-updates");
  var cursor = inbox.getAttribute("data-cursor");
  var retryMs = FIRST_RETRY_MS;

  function getCookie(name) {
    var parts = document.cookie.split(";");
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      if (part.indexOf(name + "=") === 0) {
        return decodeURIComponent(part.substring(name.length + 1));
      }
    }
    return "";
  }

  function post(url, fields) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-XSRFToken": getCookie("_xsrf") },
      body: new URLSearchParams(fields),
    });
  }

  function setStatus(text, isError) {
    statusLine.textContent = text;
    statusLine.className = isError ? "status error" : "status";
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  // Insert one server-rendered message unless an element with its id is already there
  // (the sender's own echo, the history and a poll can all deliver the same message).
  function showMessage(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var node = holder.content.firstElementChild;
    if (!node || !node.id || document.getElementById(node.id)) {
      return;
    }
    var atBottom = inbox.scrollTop + inbox.clientHeight >= inbox.scrollHeight - 20;
    inbox.appendChild(node);
    if (atBottom) {
      inbox.scrollTop = inbox.scrollHeight;
    }
  }

  async function errorText(response) {
    try {
      var data = await response.json();
      if (data && data.error) {
        return data.error;
      }
    } catch (ignored) {
      // not JSON
    }
    return "HTTP " + response.status;
  }

  async function pollForever() {
    var failed = false;
    for (;;) {
      try {
        // After a failure, ask without waiting, to learn at once that the server is back.
        var response = await post(updatesUrl, { cursor: cursor, wait: failed ? "0" : "1" });
        if (!response.ok) {
          throw new Error(await errorText(response));
        }
        var data = await response.json();
        data.messages.forEach(function (message) { showMessage(message.html); });
        cursor = data.cursor;
        retryMs = FIRST_RETRY_MS;
        failed = false;
        if (data.missed) {
          setStatus("Reconnected; some earlier messages may be missing.", false);
        } else if (statusLine.className === "status error") {
          setStatus("", false);
        }
      } catch (error) {
        failed = true;
        setStatus("Connection lost, reconnecting in " + Math.round(retryMs / 1000) +
                  " s\u2026", true);
        await sleep(retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
        setStatus("Reconnecting\u2026", true);
      }
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (!body) {
      return;
    }
    button.disabled = true;
    try {
      var response = await post(form.action, { body: body });
      if (!response.ok) {
        throw new Error(await errorText(response));
      }
      var message = await response.json();
      showMessage(message.html);
      input.value = "";
    } catch (error) {
      setStatus("Could not send: " + error.message, true);
    } finally {
      button.disabled = false;
      input.focus();
    }
  });

  pollForever();
})();
