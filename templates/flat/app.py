#!/usr/bin/env python3
"""Run the server: ``python app.py [--port 8888] [--address 127.0.0.1] [--debug] [--syslog]
[--config FILE]`` (``python app.py --help`` lists every option).

The ``DEPLOYMENT`` environment variable (dev, staging, production) picks the settings; see
settings.py.
"""

import asyncio
import logging
import os
import signal

import tornado.options
import tornado.web

import logconfig
import settings
from handlers.base import NotFoundHandler
from urls import url_patterns

log = logging.getLogger("app")


def make_app(**overrides) -> tornado.web.Application:
    """Build the application from ``urls.url_patterns`` and ``settings.get_settings()``.

    Keyword arguments override individual settings (the tests pass ``deployment=...``).
    """
    app_settings = settings.get_settings(overrides.pop("deployment", None))
    app_settings["default_handler_class"] = NotFoundHandler
    app_settings.update(overrides)
    return tornado.web.Application(url_patterns, **app_settings)


async def main() -> None:
    try:
        settings.parse_command_line()
    except tornado.options.Error as exc:
        raise SystemExit(f"error: {exc}") from None
    options = tornado.options.options
    try:
        app = make_app()
    except ValueError as exc:  # a bad DEPLOYMENT
        raise SystemExit(f"error: {exc}") from None
    level = "DEBUG" if options.debug else app.settings["log_level"]
    logconfig.configure(level, syslog=options.syslog, tag=settings.SYSLOG_TAG)

    deployment = app.settings["deployment"]
    if deployment != settings.DEV and not os.environ.get("COOKIE_SECRET"):
        log.warning("COOKIE_SECRET is not set: using the secret stored in settings.py")

    server = app.listen(options.port, options.address, xheaders=app.settings["xheaders"])
    log.info(
        "Listening on http://%s:%d (deployment: %s, debug: %s)",
        options.address or "0.0.0.0",
        options.port,
        deployment,
        "on" if options.debug else "off",
    )

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # Windows
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    await stop.wait()

    log.info("Shutting down")
    server.stop()
    try:
        await asyncio.wait_for(server.close_all_connections(), timeout=5)
    except asyncio.TimeoutError:
        log.warning("Some connections were still open after 5 s; closing anyway")
    log.info("Stopped")


if __name__ == "__main__":
    asyncio.run(main())
