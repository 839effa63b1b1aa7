"""Graceful shutdown: requests in flight finish within --shutdown_grace, then connections close."""

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.simple_httpclient import HTTPStreamClosedError
from tornado.testing import AsyncTestCase, bind_unused_port, gen_test

import app
from handlers.base import BaseHandler

ROOT = Path(__file__).resolve().parent.parent


class SlowHandler(BaseHandler):
    """Answers only when the test opens its gate."""

    def initialize(self, gate: asyncio.Event) -> None:
        self.gate = gate

    async def get(self) -> None:
        await self.gate.wait()
        self.write("finished")


class ShutdownTest(AsyncTestCase):
    async def start(self):
        """Serve an app with a /slow page; return the URL of that page."""
        self.gate = asyncio.Event()
        self.application = app.make_app([(r"/slow", SlowHandler, {"gate": self.gate})])
        sock, port = bind_unused_port()
        self.port = port
        self.server = app.make_server(self.application)
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
        stopping = asyncio.create_task(app.shutdown(self.server, self.application, grace=10))
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
    async def test_a_request_that_outlives_the_grace_period_is_cut_without_a_500(self):
        url = await self.start()
        fetch = AsyncHTTPClient().fetch(url, raise_error=False)
        await self.in_flight(1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with self.assertLogs(level="INFO") as logs:
            await asyncio.wait_for(app.shutdown(self.server, self.application, grace=0.5), 10)
            with self.assertRaises(HTTPStreamClosedError):  # no response at all
                await fetch
            await asyncio.sleep(0.1)  # the cancelled handler has ended
        self.assertLess(loop.time() - started, 5)
        self.assertIn(
            "1 request(s) still running after 0.5 s; closing their connections: GET /slow",
            "\n".join(logs.output),
        )
        # Cut by the shutdown, not failed: no 500 in the access log, no traceback.
        for record in logs.records:
            self.assertNotEqual(record.levelname, "ERROR", record.getMessage())
            self.assertNotRegex(record.getMessage(), r"^500 ")
        self.assertEqual(self.application.in_flight.count, 0)

    @gen_test(timeout=30)
    async def test_idle_server_stops_at_once(self):
        await self.start()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(app.shutdown(self.server, self.application, grace=10), 5)
        self.assertLess(loop.time() - started, 1)


# app.main() with one more page, /slow, that keeps a thread of the default executor busy
# for a minute (as ``run_in_executor(None, ...)`` does): a cooperative exit would wait for it.
SLOW_SERVER = """
import asyncio, logging, sys, time
import app
from handlers.base import BaseHandler

class Slow(BaseHandler):
    async def get(self):
        logging.getLogger("slow").warning("slow request started")
        await asyncio.get_running_loop().run_in_executor(None, time.sleep, 60)

make_app = app.make_app
app.make_app = lambda handlers=(), **kw: make_app([(r"/slow", Slow), *handlers], **kw)
asyncio.run(app.main(sys.argv))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_second_signal_exits_at_once(signum):
    env = {**os.environ, "COOKIE_SECRET": "test-secret", "DEPLOYMENT": "dev"}
    args = ["--port=0", "--shutdown_grace=30", "--logging=info"]
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_SERVER, *args],
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
        proc.send_signal(signum)
        wait_for("Shutting down")  # and waits up to 30 s for /slow
        proc.send_signal(signum)
        returncode = proc.wait(timeout=5)
        rest = proc.stderr.read()
    finally:
        watchdog.cancel()
        proc.kill()
        proc.stderr.close()
    output = "".join(lines) + rest
    assert returncode == 128 + signum, output  # 130 for Ctrl-C, 143 for SIGTERM
    assert f"{signum.name} again: exiting now, without waiting" in rest, output
    assert "Traceback" not in output
