"""BaseHandler: database access, the logged-in user, session cookies and error pages."""

from __future__ import annotations

import datetime
import http.client
import logging
from typing import Any

import tornado.locks
import tornado.util
import tornado.web

from app.objects.dbobject import Database
from app.objects.user import User

log = logging.getLogger(__name__)

SESSION_COOKIE = "session"


def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` if it is a path on this site, else ``default``.

    Only "/something" qualifies: "//host" and "/\\host" are read by browsers as another host,
    and "https://...", "javascript:..." or "host/path" are not local. Whitespace and control
    characters are refused too, since browsers drop some of them ("/\\t/host" becomes "//host").
    """
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return default
    return value


# Sent with every page, static file and error.
SECURITY_HEADERS = {
    # Browsers must not guess a different type than Content-Type says (no sniffed scripts).
    "X-Content-Type-Options": "nosniff",
    # No other site may show these pages in a frame (clickjacking).
    "X-Frame-Options": "DENY",
    # Other sites see only the origin in Referer, never a path or query.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    # Everything only from this site, forms post only here: the pages have no inline script or
    # style, so an injected one would not run.
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


class InFlight:
    """How many requests are being handled right now, so that shutdown can wait for them.

    ``web.make_app()`` keeps one as ``application.in_flight``; the handlers count themselves in
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
    """Database access, the logged-in user, session cookies and error pages.

    A subclass that overrides ``prepare()`` awaits ``super().prepare()`` first: it loads the
    session, and counts the request for a graceful shutdown.
    """

    @property
    def db(self) -> Database:
        return self.application.db  # type: ignore[attr-defined]

    async def prepare(self) -> None:
        super().prepare()
        # get_current_user() cannot await, so the user is looked up here, once per request
        # (Tornado's documented pattern for asynchronous authentication).
        token = self.get_signed_cookie(SESSION_COOKIE, max_age_days=self.settings["session_days"])
        if token:
            self.current_user = await self.db.run(
                User.by_session, token.decode("ascii", "replace"), self.settings["session_days"]
            )
        self.set_private_headers()

    def set_private_headers(self) -> None:
        """A page shown to a logged-in user is theirs alone: no cache may keep it."""
        if self.current_user:
            self.set_header("Cache-Control", "no-store")

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace["site_title"] = self.settings["site_title"]
        return namespace

    def secure_cookies(self) -> bool:
        """Mark cookies Secure when the request came over HTTPS or --secure-cookies is set."""
        return self.request.protocol == "https" or bool(self.settings.get("secure_cookies"))

    def start_session(self, token: str) -> None:
        self.set_signed_cookie(
            SESSION_COOKIE,
            token,
            expires_days=self.settings["session_days"],
            httponly=True,
            samesite="Lax",
            secure=self.secure_cookies(),
        )

    def end_session(self) -> None:
        self.clear_cookie(
            SESSION_COOKIE, httponly=True, samesite="Lax", secure=self.secure_cookies()
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_private_headers()  # send_error() cleared the headers
        exc_info = kwargs.get("exc_info")
        if (
            self.settings.get("serve_traceback")
            and exc_info
            and not isinstance(exc_info[1], tornado.web.HTTPError)
        ):
            super().write_error(status_code, **kwargs)  # --debug: a crash's traceback, as text
            return
        reason = self._reason or http.client.responses.get(status_code, "Error")
        try:
            self.render("pages/error.html", status_code=status_code, reason=reason)
        except Exception:
            log.exception("could not render the error page")
            self.finish(f"{status_code}: {reason}")


class NotFoundHandler(BaseHandler):
    """Answers every URL that no route matches, with the friendly 404 page.

    The session is loaded first (``super().prepare()``), so a logged-in user's 404 page still
    shows them logged in.
    """

    def check_xsrf_cookie(self) -> None:
        # A POST to a missing page has no side effect: answer 404, not 403.
        pass

    async def prepare(self) -> None:
        await super().prepare()
        raise tornado.web.HTTPError(404)
