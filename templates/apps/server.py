#!/usr/bin/env python3
"""Run the web server: ``python server.py [--port 8888] [--address 127.0.0.1] [--debug]``.

``make_app()`` builds the application from ``settings.settings`` and the route table in
``urls.py``; the tests and ``shell.py`` use it too. Command-line options are parsed only in
``main()``, so importing this module (from pytest or the shell) never reads ``sys.argv``.
"""

import asyncio
import logging
import signal
import sys

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.options import Error as OptionsError
from tornado.options import define, options, parse_command_line

from settings import settings
from urls import urls

define("port", default=8888, type=int, help="port to listen on (0 picks a free one)")
define("address", default="127.0.0.1", help="address to bind; 0.0.0.0 listens on all interfaces")
define("debug", default=False, type=bool, help="reload on code changes and show tracebacks")

log = logging.getLogger("server")

# How long shutdown waits for open connections before giving up on them.
SHUTDOWN_TIMEOUT = 5.0


def make_app(**overrides) -> tornado.web.Application:
    """Build the application; ``overrides`` replace entries of ``settings.settings``."""
    return tornado.web.Application(urls, **{**settings, **overrides})


def with_equals(args: list) -> list:
    """Rewrite ``--name value`` as ``--name=value``, the only spelling tornado.options reads.

    Only options that are defined and not boolean take the next argument as their value
    (``--debug`` never does); everything from ``--`` or the first non-option on is left alone.
    """
    args = list(args)
    out = args[:1]
    i = 1
    while i < len(args):
        arg = args[i]
        if arg == "--" or not arg.startswith("--"):
            out.extend(args[i:])
            break
        name = arg[2:]
        if (
            "=" not in name
            and name in options
            and not isinstance(getattr(options, name), bool)
            and i + 1 < len(args)
            and not args[i + 1].startswith("--")
        ):
            arg = f"{arg}={args[i + 1]}"
            i += 1
        out.append(arg)
        i += 1
    return out


async def main() -> None:
    try:
        parse_command_line(with_equals(sys.argv))
    except (OptionsError, ValueError) as exc:  # unknown option, or e.g. --port=abc
        sys.exit(f"{sys.argv[0]}: {exc} (see --help)")
    app = make_app(debug=options.debug)
    sockets = bind_sockets(options.port, options.address)
    server = HTTPServer(app)
    server.add_sockets(sockets)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        log.info("Received %s, stopping server", signal.Signals(signum).name)
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
    server.stop()
    try:
        await asyncio.wait_for(server.close_all_connections(), SHUTDOWN_TIMEOUT)
    except asyncio.TimeoutError:
        log.warning("Connections still open after %.0f s; closing anyway", SHUTDOWN_TIMEOUT)
    log.info("Server stopped")


if __name__ == "__main__":
    asyncio.run(main())
