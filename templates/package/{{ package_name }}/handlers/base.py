"""The base class of every handler, with friendly error pages and security headers."""

from __future__ import annotations

import datetime
from typing import Any

import tornado.locks
import tornado.util
import tornado.web

# Sent with every page and static file.
SECURITY_HEADERS = {
    # Browsers must not guess a different type than Content-Type says (no sniffed scripts).
    "X-Content-Type-Options": "nosniff",
    # No other site may show these pages in a frame (clickjacking).
    "X-Frame-Options": "DENY",
    # Other sites see only the origin in Referer, never a path or query.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    # Everything only from this site: the pages have no inline script or style.
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


class InFlight:
    """How many requests are being handled right now, so that shutdown can wait for them.

    ``make_app()`` keeps one as ``application.in_flight``; the handlers count themselves in
    (``prepare()``) and out (``on_finish()``).
    """

    def __init__(self) -> None:
        self.count = 0
        self._idle = tornado.locks.Event()
        self._idle.set()

    def started(self) -> None:
        self.count += 1
        self._idle.clear()

    def finished(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight, at most ``timeout`` seconds; True if none is."""
        try:
            await self._idle.wait(timeout=datetime.timedelta(seconds=max(timeout, 0)))
        except tornado.util.TimeoutError:
            return False
        return True


class CommonMixin(tornado.web.RequestHandler):
    """What every handler, static files included, does: security headers, in-flight counting."""

    _counted = False

    def set_default_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def prepare(self) -> Any:
        self.application.in_flight.started()  # type: ignore[attr-defined]
        self._counted = True

    def on_finish(self) -> None:
        if self._counted:
            self._counted = False
            self.application.in_flight.finished()  # type: ignore[attr-defined]


class StaticFileHandler(CommonMixin, tornado.web.StaticFileHandler):
    """Serves static/ (the ``static_handler_class``) with the same headers as the pages."""


class BaseHandler(CommonMixin):
    """Adds the site title to every template and renders 404.html / 500.html."""

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace["site_title"] = self.settings["site_title"]
        return namespace

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 404:
            self.render("404.html")
        elif status_code >= 500 and not (
            self.settings.get("serve_traceback") and "exc_info" in kwargs
        ):
            # Never show the exception: it is in the server log already. Only in
            # debug mode (serve_traceback) does Tornado's own page show the traceback.
            self.render("500.html", status_code=status_code)
        else:
            super().write_error(status_code, **kwargs)


class NotFoundHandler(BaseHandler):
    """The Application's default_handler_class: every unknown path is a 404 page."""

    def check_xsrf_cookie(self) -> None:
        # A POST to a missing page has no side effect: answer 404, not 403.
        pass

    def prepare(self) -> None:
        super().prepare()
        raise tornado.web.HTTPError(404)
