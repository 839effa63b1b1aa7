#!/usr/bin/env python3
"""Run the web server: ``python server.py [--port=8888] [--address=127.0.0.1] [--debug]
[--shutdown_grace=10]``.

``make_app()`` builds the application from ``settings.settings`` and the route table in
``urls.py``; the tests and ``shell.py`` use it too. Command-line options are parsed only in
``main()``, so importing this module (from pytest or the shell) never reads ``sys.argv``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.options import options

from handlers import InFlight
from settings import parse_options, settings
from urls import urls

log = logging.getLogger("server")

# The largest request body the server reads (Tornado's default is 100 MB, all in memory).
MAX_BODY_SIZE = 1024 * 1024


def make_app(handlers: list | None = None, **overrides) -> tornado.web.Application:
    """Build the application; ``overrides`` replace entries of ``settings.settings``.

    ``handlers`` are routes added before ``urls`` (the tests add a slow page). The application
    counts the requests it is handling in ``app.in_flight``.
    """
    app = tornado.web.Application([*(handlers or []), *urls], **{**settings, **overrides})
    app.in_flight = InFlight()
    return app


def make_server(app: tornado.web.Application) -> HTTPServer:
    """The HTTP server for ``app``, with its body size limit."""
    return HTTPServer(app, max_body_size=MAX_BODY_SIZE)


def _ignore_cancelled(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    if not isinstance(context.get("exception"), asyncio.CancelledError):
        loop.default_exception_handler(context)


async def shutdown(server: HTTPServer, app: tornado.web.Application, grace: float) -> None:
    """Stop accepting connections, let requests in flight finish for up to ``grace`` seconds,
    then close every connection that is left."""
    log.info("Shutting down")
    server.stop()
    if not await app.in_flight.wait_idle(grace):
        log.warning(
            "%d request(s) still running after %.1f s; closing their connections",
            app.in_flight.count,
            grace,
        )
        # asyncio.run() cancels those handlers when main() returns. Their clients are gone
        # already, so the cancellation is expected: no "Exception in callback" traceback.
        asyncio.get_running_loop().set_exception_handler(_ignore_cancelled)
    await server.close_all_connections()
    log.info("Stopped")


async def main(args: list[str] | None = None) -> None:
    parse_options(args)
    app = make_app(debug=options.debug)
    try:
        sockets = bind_sockets(options.port, options.address)
    except OSError as exc:  # the port is taken, the address is not ours
        sys.exit(f"error: cannot listen on {options.address}:{options.port}: {exc}")
    server = make_server(app)
    server.add_sockets(sockets)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        log.info("Received %s", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, on_signal, signum)
        except NotImplementedError:  # Windows: no add_signal_handler, fall back to signal()
            signal.signal(signum, lambda s, _frame: loop.call_soon_threadsafe(on_signal, s))

    port = sockets[0].getsockname()[1]
    host = options.address or "0.0.0.0"
    if ":" in host:
        host = f"[{host}]"
    log.info("Listening on http://%s:%d", host, port)

    await stop.wait()
    await shutdown(server, app, options.shutdown_grace)


if __name__ == "__main__":
    asyncio.run(main(sys.argv))
