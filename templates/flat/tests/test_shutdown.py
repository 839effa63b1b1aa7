"""Graceful shutdown: requests in flight finish within --shutdown_grace, then connections close."""

import asyncio
import socket

from tornado.httpclient import AsyncHTTPClient
from tornado.simple_httpclient import HTTPStreamClosedError
from tornado.testing import AsyncTestCase, bind_unused_port, gen_test

import app
from handlers.base import BaseHandler


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
    async def test_hurry_ends_the_grace_period_at_once(self):
        url = await self.start()
        fetch = AsyncHTTPClient().fetch(url, raise_error=False)
        await self.in_flight(1)
        hurry = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, hurry.set)  # a second Ctrl-C
        started = loop.time()
        with self.assertLogs("app", "WARNING"):
            await asyncio.wait_for(
                app.shutdown(self.server, self.application, grace=60, hurry=hurry), 10
            )
        self.assertLess(loop.time() - started, 5)
        with self.assertRaises(HTTPStreamClosedError):
            await fetch

    @gen_test(timeout=30)
    async def test_idle_server_stops_at_once(self):
        await self.start()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(app.shutdown(self.server, self.application, grace=10), 5)
        self.assertLess(loop.time() - started, 1)
