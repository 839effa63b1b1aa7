"""The base class of every handler, with friendly error pages and security headers."""

from __future__ import annotations

import asyncio
import datetime
import os
from typing import Any

import tornado.locale
import tornado.locks
import tornado.web
from tornado import httputil

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
    """Serves static/ (the ``static_handler_class``) with the same headers as the pages.

    Tornado routes ``/favicon.ico`` here too: without a static/favicon.ico, browsers that ask
    for it are sent to favicon.svg.
    """

    def get(self, path: str, include_body: bool = True) -> Any:
        if path == "favicon.ico" and not os.path.isfile(os.path.join(self.root, path)):
            self.redirect(self.static_url("favicon.svg"))
            return None
        return super().get(path, include_body)


class BaseHandler(CommonMixin):
    """Adds the site title to every template and renders the error pages in the site's layout:
    404.html, 500.html, and error.html for the others (403, 405, ...)."""

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace["site_title"] = self.settings["site_title"]
        return namespace

    def get_browser_locale(self, default: str = "en_US") -> tornado.locale.Locale:
        self.vary_by_language()
        return super().get_browser_locale(default)

    def vary_by_language(self) -> None:
        if len(tornado.locale.get_supported_locales()) > 1:
            # The page is translated for the request's Accept-Language: caches must keep
            # one copy per language.
            self.add_header("Vary", "Accept-Language")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # send_error() cleared the headers, and a locale resolved before the error is not
        # resolved again: the error page is translated too, so say so again.
        self.vary_by_language()
        if status_code >= 500 and self.settings.get("serve_traceback") and "exc_info" in kwargs:
            # Only in debug mode (serve_traceback) does Tornado's own page show the traceback.
            super().write_error(status_code, **kwargs)
        elif status_code == 404:
            self.render("404.html")
        elif status_code >= 500:
            # Never show the exception: it is in the server log already.
            self.render("500.html", status_code=status_code)
        else:
            reason = httputil.responses.get(status_code, "Error")
            self.render("error.html", status_code=status_code, reason=reason)


class NotFoundHandler(BaseHandler):
    """The Application's default_handler_class: every unknown path is a 404 page."""

    def check_xsrf_cookie(self) -> None:
        # A POST to a missing page has no side effect: answer 404, not 403.
        pass

    def prepare(self) -> None:
        super().prepare()
        raise tornado.web.HTTPError(404)
