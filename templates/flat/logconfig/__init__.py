"""Logging for the whole process, configured once by ``app.main()`` with ``dictConfig``.

Everything logs through the root logger: Tornado's own ``tornado.access``,
``tornado.application`` and ``tornado.general`` loggers as well as this project's modules
(``logging.getLogger(__name__)``). ``disable_existing_loggers`` is False so that loggers created
before this runs (Tornado's are created when tornado is imported) keep working.

The console uses Tornado's ``LogFormatter`` (coloured on a terminal). Syslog is added only when
asked for (``--syslog``) and a local syslog socket exists.
"""

from __future__ import annotations

import logging
import logging.config
import logging.handlers
import os
import socket
import stat

SYSLOG_SOCKETS = ("/dev/log", "/var/run/syslog", "/var/run/log")


def find_syslog_socket(candidates: tuple[str, ...] | list[str] = SYSLOG_SOCKETS) -> str | None:
    """The first of ``candidates`` that is a socket accepting connections.

    (Linux: /dev/log, macOS: /var/run/syslog, FreeBSD: /var/run/log.)
    """
    for path in candidates:
        if _is_listening_socket(path):
            return path
    return None


def _is_listening_socket(path: str) -> bool:
    try:
        if not stat.S_ISSOCK(os.stat(path).st_mode):
            return False
    except OSError:
        return False
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_UNIX, kind) as sock:
            try:
                sock.connect(path)
            except OSError:
                continue
            return True
    return False


def build_config(
    level: str = "INFO",
    syslog: bool = False,
    syslog_socket: str | None = None,
    tag: str = "tornado",
) -> dict:
    """The ``logging.config.dictConfig`` dictionary.

    ``syslog_socket`` is used only when ``syslog`` is true; without a socket the syslog handler
    is left out (``configure`` warns about it).
    """
    config: dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "tornado": {"()": "tornado.log.LogFormatter", "color": True},
            "syslog": {"format": tag + "[%(process)d]: %(levelname)s %(name)s %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "tornado"},
        },
        "root": {"level": level, "handlers": ["console"]},
    }
    if syslog and syslog_socket:
        config["handlers"]["syslog"] = {
            "class": "logging.handlers.SysLogHandler",
            "address": syslog_socket,
            "facility": "user",
            "formatter": "syslog",
        }
        config["root"]["handlers"].append("syslog")
    return config


def configure(
    level: str = "INFO",
    syslog: bool = False,
    tag: str = "tornado",
    candidates: tuple[str, ...] | list[str] = SYSLOG_SOCKETS,
) -> dict:
    """Apply the logging configuration and return it.

    If syslog was asked for but no socket accepts connections, the console handler alone is
    configured and a warning says why.
    """
    address = find_syslog_socket(candidates) if syslog else None
    config = build_config(level, syslog=syslog, syslog_socket=address, tag=tag)
    problem = None
    if syslog and address is None:
        problem = f"no syslog socket accepts connections (tried {', '.join(candidates)})"
    try:
        logging.config.dictConfig(config)
    except ValueError as exc:
        if address is None:
            raise
        problem = f"cannot log to {address}: {exc.__cause__ or exc}"
        config = build_config(level, tag=tag)
        logging.config.dictConfig(config)
    if problem:
        logging.getLogger(__name__).warning("--syslog: %s; logging to the console only", problem)
    return config
