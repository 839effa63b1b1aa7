"""Real browser pages on a generated chat server (run by check.sh, inside the project).

    python browser_test.py --port PORT --screenshot FILE [--server-arg ARG ...] [--only NAME ...]

Starts `python app.py --poll_timeout=2` itself (so it can stop and restart it, and so a stuck
poll is noticed in seconds), opens pages in separate browser contexts (separate "browsers",
separate cookie jars) in Debian's headless Chromium and runs these scenarios:

  basic      a message from page A appears on B once and on A once; a <script> message renders
             as text and does not run
  order      two pages, one whose poll answers arrive late, show the same messages in the same
             (the server's) order
  typing     text typed while a send is on its way stays in the field when the send ends
  xsrf       a page whose _xsrf cookie is deleted still receives and sends messages
  stuck      a page behind a TCP proxy that stops forwarding its poll connection (the proxy
             holds it open) shows new messages again after the poll timeout plus a margin
  online     a page that was offline for a while reconnects at once when it is back online,
             even when its first try then fails (the network not quite back yet)
  restart    the server stops: every page shows "reconnecting", a send fails visibly and
             re-enables the button; after the restart the pages come back at different times
             (jittered backoff), "Reconnected" clears itself, and a new message reaches all
  names      a name typed on a page is kept by the browser (after a reload too) and shown
             with each message, with its time in a <time> element; one's own messages are
             set apart on one's own page only
  retry      a send whose answer is lost is sent again with the same id: the message is
             stored and shown once, on both pages, and the page says so in words
  favicon    the server logged no 404 (no /favicon.ico miss) while the pages ran

And over every page of every scenario: no status line ever showed the browser's own error
text ("Failed to fetch").

Every scenario runs by default; --only runs some (each scenario opens its own pages). Every wait
is bounded. Fails (exit 1) if Chromium or Playwright is missing; a failure also prints what each
open page was doing (its status line, its last polls and status texts, its message field).
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
POLL_TIMEOUT_S = 2  # given to the server; chat.js reads it from the page
POLL_MARGIN_S = 5  # chat.js aborts a poll this long after the server's poll timeout
NOTICE_S = 5  # chat.js clears "Reconnected" after this long
BACKOFF_CAP_S = 30  # chat.js caps its retry delay here; recovery waits allow for it
SCENARIOS = [
    "basic", "order", "typing", "xsrf", "stuck", "online", "names", "retry", "restart", "favicon",
]
BROWSER_ERRORS = ("Failed to fetch", "NetworkError", "Load failed", "TypeError")
DIAGNOSTICS: list = []  # fail() calls these to show what the open pages were doing


def fail(why: str) -> None:
    print(f"BROWSER TEST FAILED: {why}", file=sys.stderr, flush=True)
    reports, DIAGNOSTICS[:] = list(DIAGNOSTICS), []  # a failure while reporting ends here
    # A wedged page must not hold the report (page.evaluate has no timeout of its own).
    deadline = threading.Timer(20, lambda: os._exit(1))
    deadline.daemon = True  # gone at the exit below, when the report was quick
    deadline.start()
    for report in reports:
        try:
            report()
        except Exception as exc:  # the browser may be what failed
            print(f"  (no page diagnostics: {exc})", file=sys.stderr, flush=True)
    sys.exit(1)


def step(what: str) -> None:
    print(f"     browser: {what}", flush=True)


class Server:
    def __init__(self, port: int, extra: list[str], log_path: str, python: str) -> None:
        self.port, self.extra, self.log_path, self.python = port, extra, log_path, python
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [self.python, "app.py", f"--port={self.port}", "--stats",
             f"--poll_timeout={POLL_TIMEOUT_S}", *self.extra],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                urllib.request.urlopen(self.url("/a/stats"), timeout=2).read()
                return
            except OSError:
                time.sleep(0.1)
        fail("server did not answer within 20 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                rc = self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                fail("server ignored SIGTERM for 15 s")
            if rc != 0:
                fail(f"server exited with status {rc} after SIGTERM")
        self.proc = None

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def waiters(self) -> int:
        with urllib.request.urlopen(self.url("/a/stats"), timeout=5) as response:
            return json.load(response)["waiters"]


class HoldingProxy:
    """A TCP proxy on a free loopback port to the server. hold_busy() makes it stop
    forwarding, for good, on every connection with a request outstanding (the client spoke
    last): nothing more goes either way and the connection stays open, as a proxy that
    holds a connection does. Idle and new connections are forwarded as before."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.clock = itertools.count(1)
        self.conns: list[dict] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            conn = {"client": client, "upstream": upstream, "up": 0, "down": 0, "held": False}
            with self.lock:
                self.conns.append(conn)
            for src, dst, way in ((client, upstream, "up"), (upstream, client, "down")):
                threading.Thread(target=self._pump, args=(conn, src, dst, way), daemon=True).start()

    def _pump(self, conn: dict, src: socket.socket, dst: socket.socket, way: str) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            with self.lock:
                held = conn["held"]
                if data:
                    conn[way] = next(self.clock)
            if not data:
                break
            if not held:
                try:
                    dst.sendall(data)
                except OSError:
                    break
        # A held connection stays open towards the client until the client itself gives up.
        if not conn["held"] or way == "up":
            for sock in (conn["client"], conn["upstream"]):
                try:
                    sock.close()
                except OSError:
                    pass

    def hold_busy(self) -> int:
        with self.lock:
            busy = [c for c in self.conns if c["up"] > c["down"] and not c["held"]]
            for conn in busy:
                conn["held"] = True
            return len(busy)

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        with self.lock:
            for conn in self.conns:
                for sock in (conn["client"], conn["upstream"]):
                    try:
                        sock.close()
                    except OSError:
                        pass


def wait_for(what: str, condition, seconds: float) -> float:
    started = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - started
        except Exception:  # a page mid-navigation, a server mid-restart
            pass
        if time.monotonic() - started > seconds:
            fail(f"timed out after {seconds:.0f} s waiting for: {what}")
        time.sleep(0.05)


# Added to every page before its scripts run: records each poll (start, end, status or error),
# can delay poll answers (window.__pollDelayMs) and send answers (window.__sendDelayMs), and
# records every status line text. It wraps
# window.fetch, so it works whatever chat.js does with the answers.
INSTRUMENT = """(() => {
  const realFetch = window.fetch.bind(window);
  window.__polls = [];
  window.__pollDelayMs = 0;
  window.__sendDelayMs = 0;
  // Polls that fail as if the network were not back yet, right after an 'online' event (as
  // Chromium can dispatch it a moment before requests go through). Registered before chat.js.
  window.__failPollsAfterOnline = 0;
  window.__pendingFailures = 0;
  window.addEventListener('online', () => { window.__pendingFailures = window.__failPollsAfterOnline; });
  window.__statuses = [];
  // Sends whose answer is lost after the server got them (as when a connection drops), and
  // the ids every send carried.
  window.__loseSendAnswers = 0;
  window.__sentIds = [];
  window.fetch = async function (input, init) {
    if (String(input).indexOf('/a/message/new') >= 0) {
      window.__sentIds.push(new URLSearchParams(String(init.body)).get('id'));
      const response = await realFetch(input, init);
      if (window.__sendDelayMs) await new Promise(r => setTimeout(r, window.__sendDelayMs));
      if (window.__loseSendAnswers > 0) {
        window.__loseSendAnswers -= 1;
        await response.text();
        throw new TypeError('Failed to fetch');
      }
      return response;
    }
    if (String(input).indexOf('/a/message/updates') < 0) return realFetch(input, init);
    const entry = {start: Date.now()};
    window.__polls.push(entry);
    if (window.__pendingFailures > 0) {
      window.__pendingFailures -= 1;
      entry.error = 'simulated: not back yet';
      entry.end = Date.now();
      throw new TypeError('Failed to fetch');
    }
    try {
      const response = await realFetch(input, init);
      if (window.__pollDelayMs) await new Promise(r => setTimeout(r, window.__pollDelayMs));
      entry.status = response.status;
      entry.end = Date.now();
      return response;
    } catch (error) {
      entry.error = String(error);
      entry.end = Date.now();
      throw error;
    }
  };
  document.addEventListener('DOMContentLoaded', () => {
    const status = document.getElementById('status');
    new MutationObserver(() => window.__statuses.push([Date.now(), status.textContent]))
      .observe(status, {childList: true, characterData: true, subtree: true});
  });
})();"""

# Notes when each message element appears (Date.now(), the same clock on every page).
WATCH_ARRIVALS = """() => {
  window.__arrivals = {};
  new MutationObserver(() => {
    document.querySelectorAll('#inbox .message .body').forEach(e => {
      if (!(e.textContent in window.__arrivals)) window.__arrivals[e.textContent] = Date.now();
    });
  }).observe(document.getElementById('inbox'), {childList: true});
}"""
CLICK_SEND = """t => {
  document.getElementById('message').value = t;
  const sentAt = Date.now();
  document.getElementById('send').click();
  return sentAt;
}"""
PAGE_STATE = """() => ({
  status: document.getElementById('status').textContent,
  field: document.getElementById('message').value,
  sending: document.getElementById('send').disabled,
  messages: document.querySelectorAll('#inbox .message').length,
  polls: window.__polls.slice(-6).map(p => ({ago_ms: Date.now() - p.start,
    took_ms: p.end ? p.end - p.start : null, status: p.status, error: p.error})),
  statuses: window.__statuses.slice(-6).map(([t, text]) => [Date.now() - t, text]),
})"""
TEXTS = """() => Array.from(document.querySelectorAll('#inbox .message .body'))
  .map(e => e.textContent)"""


def count(page, text: str) -> int:
    return page.evaluate(TEXTS).count(text)


MESSAGE = """t => {
  const node = Array.from(document.querySelectorAll('#inbox .message'))
    .find(e => e.querySelector('.body').textContent === t);
  if (!node) return null;
  const time = node.querySelector('time');
  return {
    name: node.querySelector('.name').textContent,
    mine: node.classList.contains('mine'),
    datetime: time && time.getAttribute('datetime'),
    time: time && time.textContent,
  };
}"""


def send(page, text: str) -> None:
    page.fill("#message", text)
    page.click("#send")


def status(page) -> str:
    return page.inner_text("#status")


def now_ms() -> float:
    return time.time() * 1000


class Run:
    def __init__(self, browser, server: Server) -> None:
        self.browser, self.server = browser, server
        self.open: list = []  # contexts open now (their pages poll)
        self.tag = uuid.uuid4().hex[:8]
        DIAGNOSTICS.append(self.diagnose)

    def diagnose(self) -> None:
        for i, context in enumerate(self.open):
            for page in context.pages:
                state = page.evaluate(PAGE_STATE)
                print(f"  open page {i + 1}: {json.dumps(state)}", file=sys.stderr, flush=True)

    def page(self, base: str | None = None):
        context = self.browser.new_context(viewport={"width": 640, "height": 480})
        context.add_init_script(INSTRUMENT)
        page = context.new_page()
        page.on("pageerror", lambda exc: fail(f"page error: {exc}"))
        page.goto((base or self.server.url("/")))
        self.open.append(context)
        return page

    def no_browser_errors(self, page) -> None:
        """No status text this page showed was the browser's own error text."""
        texts = [t for _, t in page.evaluate("window.__statuses")]
        raw = [t for t in texts if any(e in t for e in BROWSER_ERRORS)]
        if raw:
            fail(f"the page showed the browser's error text instead of its own: {raw[:3]}")

    def pages(self, n: int) -> list:
        pages = [self.page() for _ in range(n)]
        self.all_polling()
        return pages

    def all_polling(self, seconds: float = 20) -> None:
        want = len(self.open)
        wait_for(f"{want} pages polling", lambda: self.server.waiters() == want, seconds)

    def close(self, *pages) -> None:
        for page in pages:
            self.no_browser_errors(page)
            self.open.remove(page.context)
            page.context.close()

    def text(self, what: str) -> str:
        return f"{what} {self.tag}"

    # --- scenarios -------------------------------------------------------------------------

    def basic(self) -> None:
        a, b = self.pages(2)
        hello = self.text("hello from A")
        b.evaluate(WATCH_ARRIVALS)
        sent_at = a.evaluate(CLICK_SEND, hello)
        wait_for("A's message on B", lambda: count(b, hello) == 1, 10)
        latency = (b.evaluate("t => window.__arrivals[t]", hello) - sent_at) / 1000
        if latency > 2:
            fail(f"A's message took {latency:.2f} s to reach B")
        wait_for("A's message on A", lambda: count(a, hello) == 1, 10)
        self.all_polling(10)
        time.sleep(0.5)  # let any duplicate delivery land before counting again
        if count(a, hello) != 1 or count(b, hello) != 1:
            fail(f"message shown {count(a, hello)}x on A, {count(b, hello)}x on B")
        step(f"A -> B in {latency:.2f} s, once on each page")

        evil = self.text(
            '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
        )
        send(a, evil)
        wait_for("script message on B", lambda: count(b, evil) == 1, 10)
        wait_for("script message on A", lambda: count(a, evil) == 1, 10)
        time.sleep(0.5)
        for name, page in (("A", a), ("B", b)):
            if page.evaluate("window.__pwned") is not None:
                fail(f"the <script> message ran on page {name}")
            if page.evaluate("document.querySelectorAll('#inbox script, #inbox img').length"):
                fail(f"the <script> message became markup on page {name}")
        link = self.text("see https://example.com/x")
        send(a, link)
        wait_for("link message on B", lambda: count(b, link) == 1, 10)
        rel = b.evaluate("() => Array.from(document.querySelectorAll('#inbox a')).pop().rel")
        if rel != "nofollow noopener ugc":
            fail(f"a user's link has rel={rel!r}, expected 'nofollow noopener ugc'")
        step("a <script> message renders as text and does not run; links get rel=nofollow")
        self.close(a, b)

    def order(self) -> None:
        slow, other = self.pages(2)
        slow.evaluate("() => { window.__pollDelayMs = 1500; }")
        time.sleep(POLL_TIMEOUT_S + 0.5)  # the slow page's current poll now has the delay too
        self.all_polling(10)
        first, second = self.text("first, from the other page"), self.text("second, from the slow page")
        send(other, first)
        wait_for("the other page's message stored", lambda: count(other, first) == 1, 10)
        send(slow, second)  # its own answer is quick; the poll bringing `first` is late
        for page in (slow, other):
            wait_for("both messages on both pages",
                     lambda p=page: count(p, first) == 1 and count(p, second) == 1, 15)
        time.sleep(2)  # late deliveries land
        orders = [[t for t in p.evaluate(TEXTS) if t in (first, second)] for p in (slow, other)]
        if orders[0] != orders[1] or orders[0] != [first, second]:
            fail(f"pages disagree on the order: slow page {orders[0]}, other page {orders[1]}; "
                 f"the server's order is {[first, second]}")
        step("a page with late poll answers shows the server's order, like the other page")
        self.close(slow, other)

    def typing(self) -> None:
        a, b = self.pages(2)
        a.evaluate("() => { window.__sendDelayMs = 1500; }")
        first, typed = self.text("sent slowly"), self.text("typed while it was on its way")
        send(a, first)
        a.fill("#message", typed)  # the send's answer is still 1.5 s away
        wait_for("the slow send's message on A", lambda: count(a, first) == 1, 10)
        wait_for("A's send button enabled again", lambda: a.is_enabled("#send"), 10)
        if a.input_value("#message") != typed:
            fail(f"the end of a send replaced the text typed meanwhile with "
                 f"{a.input_value('#message')!r}")
        a.evaluate("() => { window.__sendDelayMs = 0; }")
        a.click("#send")
        wait_for("the typed message on B", lambda: count(b, typed) == 1, 10)
        wait_for("A's field cleared after its own send", lambda: a.input_value("#message") == "", 10)
        step("text typed while a send was on its way stayed in the field, and sends next")
        self.close(a, b)

    def xsrf(self) -> None:
        a, b = self.pages(2)
        b.context.clear_cookies()
        if b.context.cookies():
            fail("the cookie could not be deleted")
        to_b = self.text("to B without its cookie")
        send(a, to_b)
        wait_for("A's message on B (its poll went out before the cookie was deleted)",
                 lambda: count(b, to_b) == 1, 10)
        later = self.text("to B, later")  # B's polls since the first go out without the cookie
        send(a, later)
        wait_for("a later message on B, which polls without its cookie",
                 lambda: count(b, later) == 1, 15)
        from_b = self.text("from B without its cookie")
        send(b, from_b)
        wait_for("B's message on A", lambda: count(a, from_b) == 1, 15)
        if "could not" in status(b).lower():
            fail(f"B shows: {status(b)}")
        if not any(c["name"] == "_xsrf" for c in b.context.cookies()):
            fail("B has no _xsrf cookie again")
        step("a page whose _xsrf cookie was deleted got a fresh one: it receives and sends")
        self.close(a, b)

    def stuck(self) -> None:
        proxy = HoldingProxy(self.server.port)
        try:
            a = self.page()
            held = self.page(f"http://127.0.0.1:{proxy.port}/")
            self.all_polling()
            wait_for("the proxied page's poll outstanding", lambda: proxy.hold_busy() >= 1, 10)
            started = time.monotonic()
            step("the proxy holds the proxied page's poll connection")
            news = self.text("while the proxy holds the poll")
            send(a, news)
            limit = POLL_TIMEOUT_S + POLL_MARGIN_S + 8
            wait_for("the message on the page whose poll the proxy held",
                     lambda: count(held, news) == 1, limit)
            took = time.monotonic() - started
            if took < POLL_TIMEOUT_S:
                fail(f"the held page got the message in {took:.1f} s: the proxy did not hold it")
            step(f"the held poll was given up and the message arrived after {took:.1f} s "
                 f"(poll timeout {POLL_TIMEOUT_S} s + margin {POLL_MARGIN_S} s)")
            self.close(a, held)
        finally:
            proxy.close()

    def online(self) -> None:
        (page,) = self.pages(1)
        page.context.set_offline(True)
        time.sleep(10)  # long enough for the backoff to grow to several seconds
        # The first poll after the 'online' event fails, as when the network needs a moment
        # more: the retry after it must come soon too, not after the grown backoff.
        page.evaluate("() => { window.__failPollsAfterOnline = 1; }")
        back = now_ms()
        page.context.set_offline(False)

        def reconnected() -> bool:
            polls = page.evaluate("window.__polls")
            return any(p.get("status") == 200 and p["start"] >= back for p in polls)

        took = wait_for("a successful poll after going back online", reconnected, 30)
        if took > 2:
            fail(f"back online, the page waited {took:.1f} s to reconnect")
        step(f"back online, the page reconnected after {took:.2f} s")
        self.close(page)

    def names(self) -> None:
        a, b = self.pages(2)
        a.fill("#name", "Ada <b>L</b>")
        hello = self.text("hello from Ada")
        started = time.time()
        send(a, hello)
        wait_for("Ada's message on B", lambda: count(b, hello) == 1, 10)
        wait_for("Ada's message on A", lambda: count(a, hello) == 1, 10)
        on_a, on_b = a.evaluate(MESSAGE, hello), b.evaluate(MESSAGE, hello)
        if on_a["name"] != "Ada <b>L</b>" or on_b["name"] != "Ada <b>L</b>":
            fail(f"the sender's name is not shown as typed: A {on_a}, B {on_b}")
        sent = on_b["datetime"] and time.mktime(
            time.strptime(on_b["datetime"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
        if not sent or abs(sent - started) > 60 or not re.match(r"\d\d?:\d\d", on_b["time"] or ""):
            fail(f"no <time> with the time it was sent: {on_b}")
        if not on_a["mine"] or on_b["mine"]:
            fail(f"one's own message is not set apart (A: {on_a['mine']}, B: {on_b['mine']})")
        step(f"B shows {on_b['name']!r} at {on_b['time']}; A's own message is set apart")
        a.reload()
        wait_for("A polling again after a reload", lambda: self.server.waiters() == 2, 20)
        if a.input_value("#name") != "Ada <b>L</b>":
            fail(f"the name was not kept across a reload: {a.input_value('#name')!r}")
        if not a.evaluate(MESSAGE, hello)["mine"]:
            fail("after a reload, A's own message (from the history) is not set apart")
        step("the name and one's own messages are kept across a reload")
        self.close(a, b)

    def retry(self) -> None:
        a, b = self.pages(2)
        a.evaluate("() => { window.__loseSendAnswers = 1; }")
        sent_ms = now_ms()
        once = self.text("sent again after a lost answer")
        send(a, once)
        wait_for("the message on B", lambda: count(b, once) == 1, 10)
        wait_for("the message on A", lambda: count(a, once) == 1, 15)
        wait_for("A's send button enabled again", lambda: a.is_enabled("#send"), 15)
        time.sleep(POLL_TIMEOUT_S + 0.5)  # any second copy would arrive by now
        if count(a, once) != 1 or count(b, once) != 1:
            fail(f"shown {count(a, once)}x on A and {count(b, once)}x on B")
        ids = a.evaluate("window.__sentIds")
        if len(ids) != 2 or ids[0] != ids[1]:
            fail(f"the second send did not carry the first one's id: {ids}")
        texts = [t for at, t in a.evaluate("window.__statuses") if at >= sent_ms]
        if not any("the server cannot be reached" in t for t in texts):
            fail(f"the lost answer was not told in words: {texts}")
        if a.input_value("#message") != "":
            fail("the field still holds the message that was sent")
        step("a send whose answer was lost went again with its id: shown once on each page")
        self.close(a, b)

    def restart(self) -> None:
        pages = self.pages(5)
        a = pages[0]
        down_ms = now_ms()
        self.server.stop()
        down_at = time.monotonic()
        step("server stopped")
        for i, page in enumerate(pages):
            wait_for(f"page {i} shows reconnecting",
                     lambda p=page: "reconnecting" in status(p).lower(), 20)
        sent_ms = now_ms()
        send(a, self.text("while down"))

        def send_failure_shown() -> bool:
            texts = [t for at, t in a.evaluate("window.__statuses") if at >= sent_ms]
            return any("could not send" in t.lower() for t in texts) and a.is_enabled("#send")

        wait_for("send failure shown and button enabled again", send_failure_shown, 40)
        said = [t for at, t in a.evaluate("window.__statuses") if at >= sent_ms]
        if not any("the server cannot be reached" in t for t in said):
            fail(f"the failed send was not told in words: {said}")
        step("pages show reconnecting; a failed send re-enables the button")
        time.sleep(max(0.0, 6 - (time.monotonic() - down_at)))  # let the backoff grow
        up_ms = now_ms()
        self.server.start()
        step("server restarted on the same port")
        for i, page in enumerate(pages):
            wait_for(f"page {i} recovers",
                     lambda p=page: "reconnecting" not in status(p).lower()
                     and "could not" not in status(p).lower(),
                     BACKOFF_CAP_S + 15)
        self.all_polling(BACKOFF_CAP_S + 15)
        # Each page's attempts from the stop to its first success after the restart, in
        # seconds after the stop. Without jitter they are the same on every page (same
        # failure time, same schedule); a stalled machine can bunch a few, never all.
        attempts = []
        for page in pages:
            mine = []
            for poll in page.evaluate("window.__polls"):
                if poll["start"] >= down_ms:
                    mine.append(round((poll["start"] - down_ms) / 1000, 2))
                    if poll.get("status") == 200 and poll["end"] >= up_ms:
                        break
            attempts.append(mine)
        back = [mine[-1] for mine in attempts]
        shown = ", ".join(f"{t:.2f}" for t in sorted(back))
        counts = {len(mine) for mine in attempts}
        widest = max(
            max(mine[i] for mine in attempts) - min(mine[i] for mine in attempts)
            for i in range(min(counts))
        )
        if len(counts) == 1 and widest < 0.5:
            fail(f"every page retried at the same times (s after the stop): {attempts}; "
                 "no jitter")
        step(f"pages reconnected {shown} s after the stop; their attempts differ "
             f"(attempt counts {sorted(counts)}, up to {widest:.2f} s apart)")
        for i, page in enumerate(pages):
            texts = [t for at, t in page.evaluate("window.__statuses") if at >= up_ms]
            if not any(t.startswith("Reconnected") for t in texts):
                fail(f"page {i} never said it reconnected: {texts}")
            wait_for(f"page {i} clears the Reconnected notice", lambda p=page: status(p) == "",
                     NOTICE_S + 5)
        step(f"every page said Reconnected and cleared it within {NOTICE_S} s")
        after = self.text("after restart")
        send(a, after)
        for i, page in enumerate(pages):
            wait_for(f"post-restart message on page {i}", lambda p=page: count(p, after) == 1, 10)
        time.sleep(0.5)
        if any(count(p, after) != 1 for p in pages):
            fail("post-restart message doubled")
        step("after the restart a message reaches every page, once")
        for page in pages:
            self.no_browser_errors(page)
        self.shot = pages[:2]

    def favicon(self, log_path: str) -> None:
        with open(log_path) as log:
            misses = [line.strip() for line in log if re.search(r"\b404 (GET|HEAD|POST) ", line)]
        if misses:
            fail(f"the server logged 404s: {misses[:3]}")
        step("no 404 in the server log (the favicon is found)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--server-arg", action="append", default=[])
    parser.add_argument("--server-log", default="browser-server.log")
    parser.add_argument("--server-python", default=sys.executable)
    parser.add_argument("--only", action="append", choices=SCENARIOS)
    args = parser.parse_args()
    scenarios = args.only or SCENARIOS

    if not os.access(CHROMIUM, os.X_OK):
        fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        fail("playwright is not installed in this environment: pip install playwright")

    server = Server(args.port, args.server_arg, args.server_log, args.server_python)
    server.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            run = Run(browser, server)
            run.shot = []
            for name in scenarios:
                step(f"--- {name}")
                if name == "favicon":
                    run.favicon(args.server_log)
                else:
                    getattr(run, name)()
            if run.shot:
                shots = [base64.b64encode(p.screenshot(full_page=True)).decode() for p in run.shot]
                sheet = browser.new_page(viewport={"width": 1300, "height": 520})
                sheet.set_content(
                    "<body style='margin:0;display:flex;gap:20px;background:#888'>"
                    + "".join(f"<img src='data:image/png;base64,{s}'>" for s in shots)
                    + "</body>"
                )
                os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
                sheet.screenshot(path=args.screenshot, full_page=True)
                step(f"screenshot of two pages: {args.screenshot}")
            browser.close()
    finally:
        server.stop()
    print(f"     browser: all checks passed ({', '.join(scenarios)})")


if __name__ == "__main__":
    main()
