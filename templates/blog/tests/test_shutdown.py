"""Graceful shutdown: requests in flight finish within --shutdown_grace, then connections close."""

import asyncio
import os
import socket
import tempfile

from tornado.httpclient import AsyncHTTPClient
from tornado.simple_httpclient import HTTPStreamClosedError
from tornado.testing import AsyncTestCase, bind_unused_port, gen_test

import web
from app.handlers.base import BaseHandler
from app.objects import dbobject


class SlowHandler(BaseHandler):
    """Answers only when the test opens its gate."""

    def initialize(self, gate: asyncio.Event) -> None:
        self.gate = gate

    async def get(self) -> None:
        await self.gate.wait()
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
        self.application = web.make_app(
            [(r"/slow", SlowHandler, {"gate": self.gate})],
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
        fetch = asyncio.ensure_future(AsyncHTTPClient().fetch(url, raise_error=False))
        await self.in_flight(1)
        stopping = asyncio.ensure_future(web.shutdown(self.server, self.application, grace=10))
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
        fetch = asyncio.ensure_future(AsyncHTTPClient().fetch(url, raise_error=False))
        await self.in_flight(1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with self.assertLogs("web", "WARNING") as logs:
            await asyncio.wait_for(web.shutdown(self.server, self.application, grace=0.5), 10)
        self.assertLess(loop.time() - started, 5)
        self.assertIn("1 request(s) still running after 0.5 s", logs.output[0])
        with self.assertRaises(HTTPStreamClosedError):  # no response at all
            await fetch
        self.gate.set()  # let the handler end
        await self.in_flight(0)

    @gen_test(timeout=30)
    async def test_idle_server_stops_at_once(self):
        await self.start()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(web.shutdown(self.server, self.application, grace=10), 5)
        self.assertLess(loop.time() - started, 1)
