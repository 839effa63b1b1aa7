"""Two real browser pages on one generated chat server (run by check.sh, inside the project).

    python browser_test.py --port PORT --screenshot FILE [--server-arg ARG ...]

Starts `python app.py` itself (so it can stop and restart it), opens two pages in separate
browser contexts (two "browsers", two cookie jars) in Debian's headless Chromium and checks:
a message from page A appears on B once and on A once; a <script> message renders as text and
does not run; a send while the server is down fails visibly and re-enables the button; after the
server restarts on the same port both pages show "reconnecting", recover, and a new message still
arrives. Every wait is bounded. Fails (exit 1) if Chromium or Playwright is missing.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
BACKOFF_CAP_S = 30  # chat.js caps its retry delay here; recovery waits allow for it


def fail(why: str) -> None:
    print(f"BROWSER TEST FAILED: {why}", file=sys.stderr)
    sys.exit(1)


def step(what: str) -> None:
    print(f"     browser: {what}", flush=True)


class Server:
    def __init__(self, port: int, extra: list[str], log_path: str) -> None:
        self.port, self.extra, self.log_path = port, extra, log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [sys.executable, "app.py", f"--port={self.port}", "--stats", *self.extra],
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
                rc = self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                fail("server ignored SIGTERM for 10 s")
            if rc != 0:
                fail(f"server exited with status {rc} after SIGTERM")
        self.proc = None

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def waiters(self) -> int:
        with urllib.request.urlopen(self.url("/a/stats"), timeout=5) as response:
            return json.load(response)["waiters"]


def wait_for(what: str, condition, seconds: float) -> float:
    started = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - started
        except Exception:  # a page mid-navigation, a server mid-restart
            pass
        if time.monotonic() - started > seconds:
            fail(f"timed out after {seconds} s waiting for: {what}")
        time.sleep(0.05)


# Page B notes when each message element appears (Date.now(), same clock as page A's).
WATCH_ARRIVALS = """() => {
  window.__arrivals = {};
  new MutationObserver(() => {
    document.querySelectorAll('#inbox .message').forEach(e => {
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


def count(page, text: str) -> int:
    return page.evaluate(
        "t => Array.from(document.querySelectorAll('#inbox .message'))"
        ".filter(e => e.textContent === t).length",
        text,
    )


def send(page, text: str) -> None:
    page.fill("#message", text)
    page.click("#send")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--server-arg", action="append", default=[])
    parser.add_argument("--server-log", default="browser-server.log")
    args = parser.parse_args()

    if not os.access(CHROMIUM, os.X_OK):
        fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        fail("playwright is not installed in this environment: pip install playwright")

    server = Server(args.port, args.server_arg, args.server_log)
    server.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            pages = []
            for _ in range(2):
                context = browser.new_context(viewport={"width": 640, "height": 480})
                page = context.new_page()
                page.on("pageerror", lambda exc: fail(f"page error: {exc}"))
                page.goto(server.url("/"))
                pages.append(page)
            a, b = pages
            wait_for("both pages polling", lambda: server.waiters() == 2, 20)
            step("two pages open and polling")

            tag = uuid.uuid4().hex[:8]
            hello = f"hello from A {tag}"
            b.evaluate(WATCH_ARRIVALS)
            sent_at = a.evaluate(CLICK_SEND, hello)
            wait_for("A's message on B", lambda: count(b, hello) == 1, 10)
            latency = (b.evaluate("t => window.__arrivals[t]", hello) - sent_at) / 1000
            if latency > 2:
                fail(f"A's message took {latency:.2f} s to reach B")
            wait_for("A's message on A", lambda: count(a, hello) == 1, 10)
            wait_for("both pages polling again", lambda: server.waiters() == 2, 10)
            time.sleep(0.5)  # let any duplicate delivery land before counting again
            if count(a, hello) != 1 or count(b, hello) != 1:
                fail(f"message shown {count(a, hello)}x on A, {count(b, hello)}x on B")
            step(f"A -> B in {latency:.2f} s, once on each page")

            evil = f'<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> {tag}'
            send(a, evil)
            wait_for("script message on B", lambda: count(b, evil) == 1, 10)
            wait_for("script message on A", lambda: count(a, evil) == 1, 10)
            time.sleep(0.5)
            for name, page in (("A", a), ("B", b)):
                if page.evaluate("window.__pwned") is not None:
                    fail(f"the <script> message ran on page {name}")
                if page.evaluate("document.querySelectorAll('#inbox script, #inbox img').length"):
                    fail(f"the <script> message became markup on page {name}")
            step("a <script> message renders as text and does not run")

            server.stop()
            step("server stopped")
            for name, page in (("A", a), ("B", b)):
                wait_for(f"page {name} shows reconnecting",
                         lambda p=page: "reconnecting" in p.inner_text("#status").lower(), 20)
            send(a, f"while down {tag}")
            wait_for("send failure shown and button enabled again",
                     lambda: "could not send" in a.inner_text("#status").lower()
                     and a.is_enabled("#send"), 20)
            step("pages show reconnecting; a failed send re-enables the button")

            server.start()
            step("server restarted on the same port")
            for name, page in (("A", a), ("B", b)):
                wait_for(f"page {name} recovers",
                         lambda p=page: "reconnecting" not in p.inner_text("#status").lower()
                         and "could not" not in p.inner_text("#status").lower(),
                         BACKOFF_CAP_S + 15)
            wait_for("both pages polling after restart", lambda: server.waiters() == 2,
                     BACKOFF_CAP_S + 15)
            after = f"after restart {tag}"
            send(a, after)
            wait_for("post-restart message on B", lambda: count(b, after) == 1, 10)
            wait_for("post-restart message on A", lambda: count(a, after) == 1, 10)
            time.sleep(0.5)
            if count(a, after) != 1 or count(b, after) != 1:
                fail("post-restart message doubled")
            step("after the restart a message from A still reaches B, once")

            shots = [base64.b64encode(p.screenshot(full_page=True)).decode() for p in pages]
            sheet = browser.new_page(viewport={"width": 1300, "height": 520})
            sheet.set_content(
                "<body style='margin:0;display:flex;gap:20px;background:#888'>"
                + "".join(f"<img src='data:image/png;base64,{s}'>" for s in shots)
                + "</body>"
            )
            os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
            sheet.screenshot(path=args.screenshot, full_page=True)
            step(f"screenshot of both pages: {args.screenshot}")
            browser.close()
    finally:
        server.stop()
    print("     browser: all checks passed")


if __name__ == "__main__":
    main()
