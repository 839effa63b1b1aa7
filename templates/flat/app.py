#!/usr/bin/env python3
"""Run the server: ``python app.py [--port=8888] [--address=127.0.0.1] [--debug] [--syslog]
[--xheaders] [--trusted_origins=...] [--shutdown_grace=10] [--config=FILE]``
(``python app.py --help`` lists every option).

The ``DEPLOYMENT`` environment variable (dev, staging, production) picks the settings, and
``COOKIE_SECRET`` (or, outside production, the ``.env`` file) the cookie secret; see
settings.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import NoReturn

import tornado.options
import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

import logconfig
import settings
from handlers.base import InFlight, NotFoundHandler, StaticFileHandler
from urls import url_patterns

log = logging.getLogger("app")

# The largest request body the server reads (Tornado's default is 100 MB, all in memory).
MAX_BODY_SIZE = 1024 * 1024


def make_app(handlers: list | None = None, **overrides) -> tornado.web.Application:
    """Build the application from ``urls.url_patterns`` and ``settings.get_settings()``.

    ``handlers`` are routes added before ``url_patterns`` (the tests add slow or failing pages);
    keyword arguments override individual settings (the tests pass ``deployment=...``). The
    application counts the requests it is handling in ``app.in_flight``.
    """
    app_settings = settings.get_settings(overrides.pop("deployment", None))
    app_settings["default_handler_class"] = NotFoundHandler
    app_settings["static_handler_class"] = StaticFileHandler
    app_settings.update(overrides)
    app = tornado.web.Application([*(handlers or []), *url_patterns], **app_settings)
    app.in_flight = InFlight()
    return app


def make_server(app: tornado.web.Application) -> HTTPServer:
    """The HTTP server for ``app``, with its body size limit and proxy setting (``xheaders``:
    the client's address and scheme from the proxy's headers, so that ``request.protocol`` is
    ``https`` behind a proxy that terminates TLS)."""
    return HTTPServer(app, xheaders=app.settings["xheaders"], max_body_size=MAX_BODY_SIZE)


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
    settings.parse_options(args)
    options = tornado.options.options
    try:
        app = make_app()
    except ValueError as exc:  # a bad DEPLOYMENT, no COOKIE_SECRET
        settings.usage_error(str(exc))
    default_level = "DEBUG" if options.debug else app.settings["log_level"]
    try:
        logconfig.configure_from_options(options, default_level, tag=settings.SYSLOG_TAG)
    except ValueError as exc:  # --logging=loud, --log_rotate_mode=never
        settings.usage_error(f"{exc} (see --help)")

    deployment = app.settings["deployment"]
    try:
        sockets = bind_sockets(options.port, options.address)
    except OSError as exc:  # the port is taken, the address is not ours
        where = f"{options.address}:{options.port}"
        raise SystemExit(f"error: cannot listen on {where}: {exc}") from None
    server = make_server(app)
    server.add_sockets(sockets)
    host = options.address or "0.0.0.0"
    log.info(
        "Listening on http://%s:%d (deployment: %s, debug: %s)",
        f"[{host}]" if ":" in host else host,
        sockets[0].getsockname()[1],
        deployment,
        "on" if options.debug else "off",
    )

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            force_exit(signal.Signals(signum))
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
        except NotImplementedError:  # Windows
            signal.signal(sig, lambda s, _: loop.call_soon_threadsafe(on_signal, s))
    await stop.wait()
    await shutdown(server, app, options.shutdown_grace)


if __name__ == "__main__":
    asyncio.run(main(sys.argv))
