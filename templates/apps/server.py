#!/usr/bin/env python3
"""Run the web server: ``python server.py [--port=8888] [--address=127.0.0.1] [--debug]
[--xheaders] [--trusted_origins=...] [--shutdown_grace=10]``.

``make_app()`` builds the application from ``settings.settings`` and the route table in
``urls.py``; the tests and ``shell.py`` use it too. Command-line options are parsed only in
``main()``, so importing this module (from pytest or the shell) never reads ``sys.argv``.
The cookie secret comes from ``COOKIE_SECRET`` or the git-ignored ``.env`` (see settings.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import NoReturn

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.options import options

from handlers import InFlight
from settings import (
    SettingsError,
    cookie_secret,
    parse_options,
    settings,
    trusted_origins,
    usage_error,
)
from urls import urls

log = logging.getLogger("server")

# The largest request body the server reads (Tornado's default is 100 MB, all in memory).
MAX_BODY_SIZE = 1024 * 1024


def make_app(handlers: list | None = None, **overrides) -> tornado.web.Application:
    """Build the application; ``overrides`` replace entries of ``settings.settings``.

    ``handlers`` are routes added before ``urls`` (the tests add a slow page). The cookie
    secret and the trusted origins come from the environment (``settings.cookie_secret()``,
    which raises SettingsError without a secret, and ``settings.trusted_origins()``) unless
    ``overrides`` give them. The application counts the requests it is handling in
    ``app.in_flight``.
    """
    app_settings = {**settings, **overrides}
    if "cookie_secret" not in app_settings:
        app_settings["cookie_secret"] = cookie_secret()
    if "trusted_origins" not in app_settings:
        app_settings["trusted_origins"] = trusted_origins()
    app = tornado.web.Application([*(handlers or []), *urls], **app_settings)
    app.in_flight = InFlight()
    return app


def make_server(app: tornado.web.Application, xheaders: bool = False) -> HTTPServer:
    """The HTTP server for ``app``, with its body size limit. ``xheaders`` (behind a reverse
    proxy) takes the client's address and scheme from the proxy's headers, so that
    ``request.protocol`` is ``https`` when the proxy terminates TLS."""
    return HTTPServer(app, xheaders=xheaders, max_body_size=MAX_BODY_SIZE)


async def shutdown(
    server: HTTPServer,
    app: tornado.web.Application,
    grace: float,
) -> None:
    """Stop accepting connections, let requests in flight finish for up to ``grace`` seconds,
    then cut the requests still running and close every connection that is left."""
    log.info("Shutting down")
    server.stop()
    if not await app.in_flight.wait_idle(grace):
        cut = app.in_flight.cut()
        log.warning(
            "%d request(s) still running after %.1f s; closing their connections: %s",
            len(cut),
            grace,
            ", ".join(cut),
        )
    await server.close_all_connections()
    log.info("Stopped")


def force_exit(signum: signal.Signals) -> NoReturn:
    """A second SIGINT or SIGTERM during the grace period: exit at once, with status 128 + its
    number (130 for Ctrl-C, 143 for SIGTERM). ``os._exit``, because a normal exit would still
    wait for the threads of the default executor (``run_in_executor(None, ...)``) to finish."""
    log.warning("%s again: exiting now, without waiting", signum.name)
    for handler in logging.getLogger().handlers:
        handler.flush()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(128 + signum)


async def main(args: list[str] | None = None) -> None:
    """Serve until SIGINT or SIGTERM, then shut down gracefully; a second signal during the
    grace period exits at once (status 128 + the signal's number: 130 for Ctrl-C)."""
    parse_options(args)
    try:
        app = make_app(debug=options.debug)
    except SettingsError as exc:  # no COOKIE_SECRET
        usage_error(str(exc))
    try:
        sockets = bind_sockets(options.port, options.address)
    except OSError as exc:  # the port is taken, the address is not ours
        sys.exit(f"error: cannot listen on {options.address}:{options.port}: {exc}")
    server = make_server(app, xheaders=options.xheaders)
    server.add_sockets(sockets)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            force_exit(signal.Signals(signum))
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
