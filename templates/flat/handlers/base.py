"""The handlers every other handler builds on."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import os
import traceback
from typing import Any

import tornado.locks
import tornado.web
from tornado import httputil

from lib import jsonbody

log = logging.getLogger(__name__)

_NO_JSON = object()


# Sent with every page, API answer and static file.
SECURITY_HEADERS = {
    # Browsers must not guess a different type than Content-Type says (no sniffed scripts).
    "X-Content-Type-Options": "nosniff",
    # No other site may show these pages in a frame (clickjacking).
    "X-Frame-Options": "DENY",
    # Other sites see only the origin in Referer, never a path or query.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    # Scripts, styles and requests only from this site: the pages have no inline script or style.
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


class InFlight:
    """The requests being handled right now, so that shutdown can wait for them (or cut them).

    ``make_app()`` keeps one as ``application.in_flight``; the handlers count themselves in
    (``prepare()``) and out (``on_finish()``).
    """

    def __init__(self) -> None:
        self._handlers: dict[CommonMixin, asyncio.Task | None] = {}
        self._idle = tornado.locks.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        return len(self._handlers)

    def started(self, handler: CommonMixin) -> None:
        self._handlers[handler] = asyncio.current_task()
        self._idle.clear()

    def finished(self, handler: CommonMixin) -> None:
        self._handlers.pop(handler, None)
        if not self._handlers:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight, at most ``timeout`` seconds; True if none is."""
        try:
            await self._idle.wait(timeout=datetime.timedelta(seconds=max(timeout, 0)))
        except TimeoutError:
            return False
        return True

    def cut(self) -> list[str]:
        """Cancel the handlers still running (shutdown is closing their connections); return
        their requests ("GET /path"). A cut request is no server error: it is neither answered
        nor logged as a 500.
        """
        handlers, self._handlers = self._handlers, {}
        for handler, task in handlers.items():
            handler.cut_at_shutdown = True
            if task is not None:
                task.cancel()
        self._idle.set()
        return [f"{h.request.method} {h.request.uri}" for h in handlers]


class CommonMixin(tornado.web.RequestHandler):
    """What every handler, static files included, does: security headers, in-flight counting,
    ``Secure`` cookies over HTTPS."""

    _counted = False
    cut_at_shutdown = False

    def set_default_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def set_cookie(self, name: str, value: str | bytes, *args: Any, **kwargs: Any) -> None:
        # Over HTTPS (behind a proxy: with --xheaders and X-Forwarded-Proto), every cookie
        # the app sets, the _xsrf cookie included, is Secure: never sent over plain HTTP.
        if self.request.protocol == "https":
            kwargs.setdefault("secure", True)
        super().set_cookie(name, value, *args, **kwargs)

    def prepare(self) -> Any:
        self.application.in_flight.started(self)  # type: ignore[attr-defined]
        self._counted = True

    def on_finish(self) -> None:
        if self._counted:
            self._counted = False
            self.application.in_flight.finished(self)  # type: ignore[attr-defined]

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        # Tornado answers a cancelled handler with a 500 (and logs it). Shutdown cancels the
        # handlers it cut after closing their connections: nobody is left to answer.
        if not self.cut_at_shutdown:
            super().send_error(status_code, **kwargs)


class StaticFileHandler(CommonMixin, tornado.web.StaticFileHandler):
    """Serves media/ (the ``static_handler_class``) with the same headers as the pages.

    Tornado routes ``/favicon.ico`` here too: without a media/favicon.ico, browsers that ask
    for it are sent to favicon.svg.
    """

    def get(self, path: str, include_body: bool = True) -> Any:
        if path == "favicon.ico" and not os.path.isfile(os.path.join(self.root, path)):
            self.redirect(self.static_url("favicon.svg"))
            return None
        return super().get(path, include_body)


class BaseHandler(CommonMixin):
    """Common behaviour for every handler.

    - A request body sent as ``Content-Type: application/json`` is decoded once, in
      ``prepare()``, and kept in ``self.json_body`` (``None`` when there is none). A body that
      is not valid JSON is answered with 400 before your ``post()`` runs.
    - Errors are rendered as ``templates/error.html``, or as a JSON object
      ``{"error": {"status": ..., "message": ...}}`` when ``json_errors`` is true (API routes).
      The client is told the HTTPError's ``reason``; its ``log_message`` goes to the log only
      (Tornado's convention): ``raise HTTPError(400, "detail for the log", reason="For the
      client")``.
    - Templates get ``site_name``, ``site_description`` and ``deployment`` from the settings.
    - Security headers (``SECURITY_HEADERS``) on every response.
    """

    json_errors = False
    json_body: Any = None

    def prepare(self) -> None:
        super().prepare()
        self.json_body = None
        if self.request.body and jsonbody.is_json_content_type(
            self.request.headers.get("Content-Type")
        ):
            try:
                self.json_body = jsonbody.decode(self.request.body)
            except jsonbody.InvalidJSON as exc:
                raise tornado.web.HTTPError(400, reason=f"Invalid JSON body: {exc}") from exc

    def get_json_argument(self, name: str, default: Any = _NO_JSON) -> Any:
        """The value of ``name`` in the JSON object body, like ``get_argument`` for forms.

        Without a ``default``, a missing value (or a body that is not a JSON object) is a 400.
        """
        if isinstance(self.json_body, dict) and name in self.json_body:
            return self.json_body[name]
        if default is _NO_JSON:
            raise tornado.web.HTTPError(400, reason=f"Missing JSON field {name!r}")
        return default

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(
            site_name=self.settings.get("site_name", ""),
            site_description=self.settings.get("site_description", ""),
            deployment=self.settings.get("deployment", ""),
        )
        return namespace

    def write_json(self, data: Any, status: int = 200) -> None:
        """Send ``data`` as JSON (any JSON value, not only a dict)."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        # The reason phrase: the HTTPError's reason= if it had one (send_error() has set it),
        # else the standard one ("Not Found"). Never the log_message, never the exception.
        message = self._reason
        details = None
        if exc_info and self.settings.get("serve_traceback"):
            details = "".join(traceback.format_exception(*exc_info))
        if self.json_errors:
            error: dict[str, Any] = {"status": status_code, "message": message}
            if details:
                error["traceback"] = details
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps({"error": error}))
            return
        try:
            self.render(
                "error.html",
                status_code=status_code,
                reason=httputil.responses.get(status_code, "Error"),
                message=message,
                details=details,
            )
        except Exception:
            log.exception("Could not render error.html; sending Tornado's plain error page")
            self.clear()
            self.set_status(status_code)
            super().write_error(status_code, **kwargs)


class ApiHandler(BaseHandler):
    """Base class for JSON API handlers: JSON errors, and bodies must be JSON.

    XSRF protection still applies: send the ``_xsrf`` cookie's value in an ``X-XSRFToken``
    header (the home page's script shows how).
    """

    json_errors = True

    def prepare(self) -> None:
        super().prepare()
        if self.request.body and not jsonbody.is_json_content_type(
            self.request.headers.get("Content-Type")
        ):
            raise tornado.web.HTTPError(415, reason="Send the request body as application/json")


class NotFoundHandler(BaseHandler):
    """Answers every URL that no route matches (the ``default_handler_class``)."""

    def check_xsrf_cookie(self) -> None:
        # A POST to a missing page has no side effect: answer 404, not 403 (as Tornado does).
        pass

    def prepare(self) -> None:
        super().prepare()
        self.json_errors = self.request.path.startswith("/api/")
        raise tornado.web.HTTPError(404)
