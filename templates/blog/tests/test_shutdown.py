"""Graceful shutdown: requests in flight finish within --shutdown_grace, then the ones left are
cut (not logged as errors); a second Ctrl-C exits at once."""

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.simple_httpclient import HTTPStreamClosedError
from tornado.testing import AsyncTestCase, bind_unused_port, gen_test

import web
from app.handlers.base import BaseHandler
from app.objects import dbobject

ROOT = Path(__file__).resolve().parent.parent


class SlowHandler(BaseHandler):
    """Answers only when the test opens its gate."""

    def initialize(self, gate: asyncio.Event, cancelled: list) -> None:
        self.gate = gate
        self.cancelled = cancelled

    async def get(self) -> None:
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled.append(self.request.uri)
            raise
        self.write("finished")


class ShutdownTest(AsyncTestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory()
        self.db_path = os.path.join(self.tmp.name, "test.db")
        dbobject.create_schema(self.db_path)

    def tearDown(self):
        web.close_app(self.application)
        self.tmp.cleanup()
        super().tearDown()

    async def start(self):
        """Serve the blog with a /slow page; return the URL of that page."""
        self.gate = asyncio.Event()
        self.cancelled = []
        self.application = web.make_app(
            [(r"/slow", SlowHandler, {"gate": self.gate, "cancelled": self.cancelled})],
            db_path=self.db_path,
            cookie_secret="test-secret",
        )
        sock, port = bind_unused_port()
        self.port = port
        self.server = web.make_server(self.application)
        self.server.add_sockets([sock])
        return f"http://127.0.0.1:{port}/slow"

    async def in_flight(self, count):
        for _ in range(500):
            if self.application.in_flight.count == count:
                return
            await asyncio.sleep(0.01)
        self.fail(f"{self.application.in_flight.count} requests in flight, expected {count}")

    def connection_refused(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
        except ConnectionRefusedError:
            return True
        return False

    @gen_test(timeout=30)
    async def test_a_request_in_flight_completes_with_200(self):
        url = await self.start()
        fetch = AsyncHTTPClient().fetch(url, raise_error=False)
        await self.in_flight(1)
        stopping = asyncio.create_task(web.shutdown(self.server, self.application, grace=10))
        await asyncio.sleep(0.3)
        self.assertFalse(stopping.done(), "shutdown did not wait for the request in flight")
        self.assertTrue(self.connection_refused(), "new connections are still accepted")
        self.gate.set()
        response = await fetch
        await asyncio.wait_for(stopping, 5)
        self.assertEqual(response.code, 200)
        self.assertEqual(response.body, b"finished")
        self.assertEqual(self.application.in_flight.count, 0)

    @gen_test(timeout=30)
    async def test_a_request_that_outlives_the_grace_period_is_cut(self):
        url = await self.start()
        fetch = AsyncHTTPClient().fetch(url, raise_error=False)
        await self.in_flight(1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        # From the start of the shutdown on: the 500 Tornado would log for the cancelled
        # handler comes while shutdown() cuts it.
        with self.assertNoLogs("tornado.access"), self.assertNoLogs("tornado.application"):
            with self.assertLogs("web", "WARNING") as logs:
                await asyncio.wait_for(web.shutdown(self.server, self.application, grace=0.5), 10)
            self.assertLess(loop.time() - started, 5)
            self.assertIn("1 request(s) still running after 0.5 s", logs.output[0])
            with self.assertRaises(HTTPStreamClosedError):  # no response at all
                await fetch
            await asyncio.sleep(0.2)
            self.gate.set()
            await asyncio.sleep(0.2)
        # The handler was cancelled where it waited: it never went on, and Tornado's 500 for a
        # cancelled handler was neither sent nor logged (no "500 GET /slow" access-log line).
        self.assertEqual(self.cancelled, ["/slow"])
        self.assertEqual(self.application.in_flight.count, 0)

    @gen_test(timeout=30)
    async def test_idle_server_stops_at_once(self):
        await self.start()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(web.shutdown(self.server, self.application, grace=10), 5)
        self.assertLess(loop.time() - started, 1)


# web.main() with one more page, /slow, that logs when it starts and then waits a minute.
SLOW_SERVER = """
import asyncio, logging, sys
import web
from app.handlers.base import BaseHandler

class Slow(BaseHandler):
    async def get(self):
        logging.getLogger("web").info("slow request started")
        await asyncio.sleep(60)

make_app = web.make_app
web.make_app = lambda handlers=(), **kw: make_app([(r"/slow", Slow), *handlers], **kw)
web.main(sys.argv)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_second_ctrl_c_exits_at_once(tmp_path):
    db = str(tmp_path / "serve.db")
    dbobject.create_schema(db)
    env = {**os.environ, "COOKIE_SECRET": "test-secret"}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_SERVER, f"--db={db}", "--port=0", "--shutdown_grace=30"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(30, proc.kill)
    watchdog.start()
    lines = []

    def wait_for(text):
        for line in iter(proc.stderr.readline, ""):
            lines.append(line)
            if text in line:
                return line
        pytest.fail(f"no {text!r} in: " + "".join(lines))

    try:
        url = re.search(r"http://[0-9.:]+", wait_for("Listening on")).group(0)

        def slow_request():
            try:
                urllib.request.urlopen(url + "/slow", timeout=30).read()
            except OSError:
                pass  # cut: the server exits under it

        threading.Thread(target=slow_request, daemon=True).start()
        wait_for("slow request started")
        proc.send_signal(signal.SIGINT)
        wait_for("Shutting down")  # and waits up to 30 s for /slow
        proc.send_signal(signal.SIGINT)
        returncode = proc.wait(timeout=5)
        rest = proc.stderr.read()
    finally:
        watchdog.cancel()
        proc.kill()
        proc.stderr.close()
    output = "".join(lines) + rest
    assert returncode == 130, output
    assert "Received SIGINT again: exiting at once" in rest, output
    assert len([line for line in rest.splitlines() if line.strip()]) == 1, output
    assert "Traceback" not in output
