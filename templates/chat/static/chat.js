// Long-poll chat client: fetch() only, no libraries, no eval.
// Only HTML that the server escaped (templates/message.html) is ever inserted.
(function () {
  "use strict";

  var FIRST_RETRY_MS = 500; // the backoff's first ceiling after a failed poll
  var MAX_RETRY_MS = 30000; // the ceiling doubles up to this cap
  var POLL_MARGIN_MS = 5000; // a poll this much older than the server's poll timeout is stuck
  var SEND_TIMEOUT_MS = 15000; // a send (or a token request) that takes longer has failed
  var SEND_RETRIES_MS = [1000, 2000, 4000]; // a send with an unknown outcome is tried again
  var NOTICE_MS = 5000; // how long "Reconnected" and similar notices stay
  var ONLINE_GRACE_MS = 5000; // just back online, failed polls retry within FIRST_RETRY_MS

  var MINE_KEPT = 500; // how many of its own message ids the browser remembers

  var inbox = document.getElementById("inbox");
  var form = document.getElementById("messageform");
  var input = document.getElementById("message");
  var nameInput = document.getElementById("name");
  var button = document.getElementById("send");
  var statusLine = document.getElementById("status");
  var updatesUrl = form.getAttribute("data-updates");
  var xsrfUrl = form.getAttribute("data-xsrf");
  var pollTimeoutMs = parseFloat(form.getAttribute("data-poll-timeout")) * 1000 || 30000;
  var cursor = inbox.getAttribute("data-cursor");
  var noticeTimer = null;
  var errorShowing = false; // a failed send is on the status line: let it be read
  var wakeUp = null; // ends the current backoff wait early (the browser went back online)
  var onlineAt = 0; // when the browser last said it was back online
  var unsent = null; // {body, id} of a message whose send failed: sent again with its id

  // The browser keeps the sender's name and the ids of the messages it sent (to set them
  // apart). Storage can be unavailable (privacy settings): the page works without it.
  function load(key, fallback) {
    try {
      var value = window.localStorage.getItem(key);
      return value === null ? fallback : JSON.parse(value);
    } catch (ignored) {
      return fallback;
    }
  }

  function save(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (ignored) {
      // not kept; fine
    }
  }

  var mine = load("chat.mine", []);
  if (!Array.isArray(mine)) {
    mine = [];
  }

  function remember(id) {
    mine = load("chat.mine", mine).filter(function (other) { return other !== id; });
    mine.push(id);
    save("chat.mine", mine.slice(-MINE_KEPT));
  }

  nameInput.value = load("chat.name", "");
  nameInput.addEventListener("change", function () {
    save("chat.name", nameInput.value.trim());
  });

  // 32 random hex digits: the message's id, made here so that sending it again after an
  // unknown outcome (no answer, a timeout) cannot store it twice. getRandomValues works on
  // plain http:// pages too (randomUUID needs a secure context).
  function newId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  // Show each <time> in the reader's own time zone (the server writes UTC).
  function localTime(node) {
    var times = node.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var when = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(when.getTime())) {
        times[i].textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        times[i].title = when.toLocaleString();
      }
    }
  }

  function markMine(node) {
    if (node.id && mine.indexOf(node.id.substring(1)) >= 0) {
      node.classList.add("mine");
    }
  }

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

  // An error with a text for people: fetch() itself only says "Failed to fetch" (or
  // "NetworkError when attempting to fetch resource", "Load failed").
  function Unreachable(text) {
    var error = new Error(text);
    error.unreachable = true; // the request may or may not have reached the server
    return error;
  }

  // fetch() that gives up after timeoutMs, body included (a proxy can hold either), and
  // resolves to {status, ok, data, retryAfter} with the JSON body parsed (data is null
  // otherwise). Fails with a readable error when there is no answer.
  async function request(url, options, timeoutMs) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, timeoutMs);
    try {
      var response = await fetch(url, Object.assign({ signal: controller.signal }, options));
      var text = await response.text();
      var data = null;
      try {
        data = JSON.parse(text);
      } catch (ignored) {
        // not JSON (an HTML error page from a proxy, say)
      }
      var retryAfter = parseInt(response.headers.get("Retry-After"), 10);
      return {
        status: response.status,
        ok: response.ok,
        data: data,
        retryAfter: isNaN(retryAfter) ? 0 : retryAfter,
      };
    } catch (error) {
      if (error && error.name === "AbortError") {
        throw Unreachable("no answer from the server within " + Math.round(timeoutMs / 1000) +
                          " s");
      }
      throw Unreachable(navigator.onLine === false ? "this device is offline"
                                                   : "the server cannot be reached");
    } finally {
      clearTimeout(timer);
    }
  }

  function postOnce(url, fields, timeoutMs) {
    return request(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-XSRFToken": getCookie("_xsrf") },
      body: new URLSearchParams(fields),
    }, timeoutMs);
  }

  // A 403 means the _xsrf cookie is gone or stale (cleared, expired): ask the server for a
  // fresh one and try once more. The server refused the first attempt before doing anything,
  // so repeating it is safe.
  async function post(url, fields, timeoutMs) {
    var answer = await postOnce(url, fields, timeoutMs);
    if (answer.status === 403) {
      var fresh = await request(xsrfUrl, { credentials: "same-origin", cache: "no-store" },
                                SEND_TIMEOUT_MS);
      if (fresh.ok) {
        answer = await postOnce(url, fields, timeoutMs);
      }
    }
    return answer;
  }

  // What went wrong, from the server's JSON answer, else from the status alone (a proxy's
  // error page).
  function errorText(answer) {
    if (answer.data && typeof answer.data.error === "string") {
      return answer.data.error;
    }
    if (answer.status === 429) {
      return "too many requests";
    }
    if (answer.status >= 502 && answer.status <= 504) {
      return "the server is unavailable (HTTP " + answer.status + ")";
    }
    return "the server answered HTTP " + answer.status;
  }

  function setStatus(text, isError) {
    clearTimeout(noticeTimer);
    noticeTimer = null;
    errorShowing = false;
    statusLine.textContent = text;
    statusLine.className = isError ? "status error" : "status";
  }

  // A status line that clears itself after a while.
  function notice(text, isError) {
    setStatus(text, isError);
    errorShowing = isError;
    noticeTimer = setTimeout(function () { setStatus("", false); }, NOTICE_MS);
  }

  // "Connection lost" and "Reconnecting" do not hide a failed send until it clears.
  function connectionStatus(text) {
    if (!errorShowing) {
      setStatus(text, true);
    }
  }

  // Wait ms, or less if the browser comes back online meanwhile.
  function backoff(ms) {
    return new Promise(function (resolve) {
      var timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });
  }

  window.addEventListener("online", function () {
    onlineAt = Date.now();
    if (wakeUp) {
      wakeUp();
    }
  });

  // Cursors are "<number>-<number>" and grow with every message (server order). The numbers
  // may be too big for exact floats, so compare them as digit strings.
  function compareNumbers(a, b) {
    if (a.length !== b.length) {
      return a.length < b.length ? -1 : 1;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function compareCursors(a, b) {
    var x = a.split("-");
    var y = b.split("-");
    return compareNumbers(x[0], y[0]) || compareNumbers(x[1] || "", y[1] || "");
  }

  // Insert one server-rendered message in server order (by its cursor), unless an element
  // with its id is already there (the sender's own echo, the history and a poll can all
  // deliver the same message, in any order; a message sent again with its id comes back
  // with the same id).
  function showMessage(message) {
    var holder = document.createElement("template");
    holder.innerHTML = message.html.trim();
    var node = holder.content.firstElementChild;
    if (!node || !node.id || document.getElementById(node.id)) {
      return;
    }
    node.setAttribute("data-cursor", message.cursor);
    localTime(node);
    markMine(node);
    var before = null;
    for (var el = inbox.lastElementChild; el; el = el.previousElementSibling) {
      var other = el.getAttribute("data-cursor");
      if (!other || compareCursors(other, message.cursor) <= 0) {
        break;
      }
      before = el;
    }
    var atBottom = inbox.scrollTop + inbox.clientHeight >= inbox.scrollHeight - 20;
    inbox.insertBefore(node, before);
    if (atBottom) {
      inbox.scrollTop = inbox.scrollHeight;
    }
  }

  async function pollForever() {
    var failures = 0; // failed polls in a row
    for (;;) {
      try {
        // After a failure, ask without waiting, to learn at once that the server is back.
        var answer = await post(updatesUrl, { cursor: cursor, wait: failures ? "0" : "1" },
                                pollTimeoutMs + POLL_MARGIN_MS);
        if (!answer.ok) {
          var failed = new Error(errorText(answer));
          failed.retryAfter = answer.retryAfter;
          throw failed;
        }
        var data = answer.data;
        if (!data || !Array.isArray(data.messages) || typeof data.cursor !== "string") {
          throw new Error("unexpected answer");
        }
        data.messages.forEach(showMessage);
        cursor = data.cursor;
        if (data.missed) {
          notice("Reconnected; some earlier messages may be missing.", false);
        } else if (failures) {
          notice("Reconnected.", false);
        }
        failures = 0;
      } catch (error) {
        // Exponential backoff with full jitter: a random wait up to a ceiling that doubles,
        // so that clients cut off together (a server restart) do not come back together.
        // The "online" event can come a moment before requests go through again: retry
        // soon then, not after the backoff that built up while offline.
        if (Date.now() - onlineAt < ONLINE_GRACE_MS) {
          failures = 0;
        }
        var ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * Math.pow(2, failures));
        var delay = Math.random() * ceiling;
        if (error.retryAfter) { // the server said when (429: too many polls from here)
          delay = Math.max(delay, error.retryAfter * 1000);
        }
        failures += 1;
        connectionStatus("Connection lost (" + error.message + "), reconnecting in " +
                         Math.ceil(delay / 1000) + " s\u2026");
        await backoff(delay);
        connectionStatus("Reconnecting\u2026");
      }
    }
  }

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  // Send one message; on an unknown outcome (no answer, or the server could not tell whether
  // it was stored) send it again with the same id, which the server stores once. Resolves
  // to the stored message; fails with a readable error.
  async function send(fields) {
    for (var attempt = 0; ; attempt++) {
      var answer = null;
      var failure = null;
      try {
        answer = await post(form.action, fields, SEND_TIMEOUT_MS);
        if (answer.ok && answer.data && typeof answer.data.html === "string") {
          return answer.data;
        }
        failure = new Error(errorText(answer));
        if (answer.status === 429 && answer.retryAfter) {
          failure = new Error("you are sending too fast: wait " + answer.retryAfter +
                              " s, then press Send again");
        }
      } catch (error) {
        failure = error;
      }
      var again = failure.unreachable || (answer && answer.status >= 502 && answer.status <= 504);
      if (!again || attempt >= SEND_RETRIES_MS.length) {
        throw failure;
      }
      setStatus("Not sent yet (" + failure.message + "); trying again\u2026", true);
      errorShowing = true;
      await wait(SEND_RETRIES_MS[attempt]);
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (!body) {
      return;
    }
    // Pressing Send again after a failure sends the same message again: the same id.
    if (!unsent || unsent.body !== body) {
      unsent = { body: body, id: newId() };
    }
    var id = unsent.id;
    var name = nameInput.value.trim();
    save("chat.name", name);
    remember(id);
    button.disabled = true;
    try {
      var message = await send({ body: body, name: name, id: id });
      if (unsent && unsent.id === id) {
        unsent = null;
      }
      showMessage(message);
      if (errorShowing) {
        setStatus("", false);
      }
      // Clear the field only if it still holds what was sent: text typed meanwhile stays.
      if (input.value.trim() === body) {
        input.value = "";
      }
    } catch (error) {
      notice("Could not send: " + error.message + ". Your message is still in the box.", true);
    } finally {
      button.disabled = false;
      input.focus();
    }
  });

  // The history the server rendered: local times, one's own messages set apart.
  Array.prototype.forEach.call(inbox.children, function (node) {
    localTime(node);
    markMine(node);
  });

  pollForever();
})();
