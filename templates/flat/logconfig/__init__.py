"""Logging for the whole process, configured once by ``app.main()`` with ``dictConfig``.

Everything logs through the root logger: Tornado's own ``tornado.access``,
``tornado.application`` and ``tornado.general`` loggers as well as this project's modules
(``logging.getLogger(__name__)``). ``disable_existing_loggers`` is False so that loggers created
before this runs (Tornado's are created when tornado is imported) keep working.

``configure_from_options()`` honours the logging options that ``python app.py --help`` lists,
Tornado's own as well as ``--syslog``:

- ``--logging=LEVEL`` (debug, info, warning, error, critical): the level. Without it, the
  deployment's level (``--debug`` makes it debug); ``--logging=none`` leaves logging alone.
- ``--log_file_prefix=PATH``: also log to this file, rotated by size (``--log_file_max_size``,
  ``--log_file_num_backups``) or, with ``--log_rotate_mode=time``, by time
  (``--log_rotate_when``, ``--log_rotate_interval``).
- ``--log_to_stderr``: log to the console; by default only when there is no log file.
- ``--syslog``: also log to the local syslog socket, when one exists.

The console uses Tornado's ``LogFormatter`` (coloured on a terminal), the log file the same
format without colour.
"""

from __future__ import annotations

import logging
import logging.config
import logging.handlers
import os
import socket
import stat
from typing import Any

SYSLOG_SOCKETS = ("/dev/log", "/var/run/syslog", "/var/run/log")
LEVELS = ("debug", "info", "warning", "error", "critical")


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


def file_handler(options: Any) -> dict | None:
    """The ``dictConfig`` handler for ``--log_file_prefix`` (None without it).

    ``options`` is ``tornado.options.options`` (or any object with Tornado's logging options).
    """
    if not options.log_file_prefix:
        return None
    handler: dict[str, Any] = {
        "filename": options.log_file_prefix,
        "backupCount": options.log_file_num_backups,
        "encoding": "utf-8",
        "formatter": "file",
    }
    if options.log_rotate_mode == "size":
        handler["class"] = "logging.handlers.RotatingFileHandler"
        handler["maxBytes"] = options.log_file_max_size
    elif options.log_rotate_mode == "time":
        handler["class"] = "logging.handlers.TimedRotatingFileHandler"
        handler["when"] = options.log_rotate_when
        handler["interval"] = options.log_rotate_interval
    else:
        raise ValueError(
            f"--log_rotate_mode must be 'size' or 'time', not {options.log_rotate_mode!r}"
        )
    return handler


def build_config(
    level: str = "INFO",
    syslog: bool = False,
    syslog_socket: str | None = None,
    tag: str = "tornado",
    log_file: dict | None = None,
    to_stderr: bool | None = None,
) -> dict:
    """The ``logging.config.dictConfig`` dictionary.

    ``log_file`` is a handler from ``file_handler()``. ``to_stderr`` None means: log to the
    console unless there is a log file (Tornado's rule for ``--log_to_stderr``). ``syslog_socket``
    is used only when ``syslog`` is true; without a socket the syslog handler is left out
    (``configure`` warns about it).
    """
    config: dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "tornado": {"()": "tornado.log.LogFormatter", "color": True},
            "file": {"()": "tornado.log.LogFormatter", "color": False},
            "syslog": {"format": tag + "[%(process)d]: %(levelname)s %(name)s %(message)s"},
        },
        "handlers": {},
        "root": {"level": level, "handlers": []},
    }
    if to_stderr or (to_stderr is None and log_file is None):
        config["handlers"]["console"] = {"class": "logging.StreamHandler", "formatter": "tornado"}
    if log_file is not None:
        config["handlers"]["file"] = log_file
    if syslog and syslog_socket:
        config["handlers"]["syslog"] = {
            "class": "logging.handlers.SysLogHandler",
            "address": syslog_socket,
            "facility": "user",
            "formatter": "syslog",
        }
    config["root"]["handlers"] = list(config["handlers"])
    return config


def configure(
    level: str = "INFO",
    syslog: bool = False,
    tag: str = "tornado",
    candidates: tuple[str, ...] | list[str] = SYSLOG_SOCKETS,
    log_file: dict | None = None,
    to_stderr: bool | None = None,
) -> dict:
    """Apply the logging configuration and return it.

    If syslog was asked for but no socket accepts connections, the other handlers alone are
    configured and a warning says why.
    """
    address = find_syslog_socket(candidates) if syslog else None
    config = build_config(level, syslog, address, tag, log_file, to_stderr)
    problem = None
    if syslog and address is None:
        problem = f"no syslog socket accepts connections (tried {', '.join(candidates)})"
    try:
        logging.config.dictConfig(config)
    except ValueError as exc:
        if address is None:
            raise
        problem = f"cannot log to {address}: {exc.__cause__ or exc}"
        config = build_config(level, tag=tag, log_file=log_file, to_stderr=to_stderr)
        logging.config.dictConfig(config)
    if problem:
        logging.getLogger(__name__).warning("--syslog: %s; not logging to syslog", problem)
    return config


def configure_from_options(
    options: Any,
    default_level: str,
    tag: str = "tornado",
    candidates: tuple[str, ...] | list[str] = SYSLOG_SOCKETS,
) -> dict | None:
    """Configure logging from the parsed command-line options (see the module docstring).

    ``options.logging`` is None when ``--logging`` was not given (``settings.parse_options``
    arranges that); ``default_level`` applies then. Returns the configuration, or None for
    ``--logging=none``. Raises ValueError for an unknown level or rotate mode.
    """
    level = (options.logging or default_level).lower()
    if level == "none":
        return None
    if level not in LEVELS:
        raise ValueError(f"--logging must be one of {', '.join(LEVELS)} or none, not {level!r}")
    return configure(
        level.upper(),
        syslog=options.syslog,
        tag=tag,
        candidates=candidates,
        log_file=file_handler(options),
        to_stderr=options.log_to_stderr,
    )
