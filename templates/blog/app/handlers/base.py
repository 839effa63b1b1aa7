"""BaseHandler: database access, the logged-in user, session cookies and error pages.

Also what every handler shares (security headers, Secure cookies over HTTPS, counting requests
for a graceful shutdown), static files (and /favicon.ico), and /healthz.
"""

from __future__ import annotations

import asyncio
import datetime
import http.client
import logging
import sqlite3
from typing import Any

import tornado.locks
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
    """The requests being handled right now, so that shutdown can wait for them, or cut them.

    ``web.make_app()`` keeps one as ``application.in_flight``; the handlers count themselves in
    (``prepare()``) and out (``on_finish()``).
    """

    def __init__(self) -> None:
        self._tasks: dict[CommonMixin, asyncio.Task | None] = {}
        self._idle = tornado.locks.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        return len(self._tasks)

    def started(self, handler: CommonMixin) -> None:
        # The task that runs this request (Tornado runs each handler in a task of its own).
        self._tasks[handler] = asyncio.current_task()
        self._idle.clear()

    def finished(self, handler: CommonMixin) -> None:
        self._tasks.pop(handler, None)
        if not self._tasks:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight, at most ``timeout`` seconds; True if none is."""
        try:
            await self._idle.wait(timeout=datetime.timedelta(seconds=max(timeout, 0)))
        except TimeoutError:
            return False
        return True

    def cut(self) -> None:
        """Cancel every request still running: the end of the shutdown grace period."""
        for handler, task in list(self._tasks.items()):
            handler.cut_at_shutdown = True
            if task is not None:
                task.cancel()
            self.finished(handler)


class CommonMixin(tornado.web.RequestHandler):
    """What every handler, static files included, does: security headers, Secure cookies over
    HTTPS, in-flight counting."""

    _counted = False
    # Set when shutdown cancels this request at the end of its grace period (InFlight.cut).
    cut_at_shutdown = False

    def set_default_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def set_cookie(self, name: str, value: str | bytes, *args: Any, **kwargs: Any) -> None:
        """Every cookie (the session's, ``_xsrf``) is Secure when the request came over HTTPS
        (behind a proxy: with --xheaders, from its X-Forwarded-Proto or X-Scheme), or always
        with --secure_cookies: a browser then never sends it over plain HTTP."""
        if self.request.protocol == "https" or self.settings.get("secure_cookies"):
            kwargs["secure"] = True
        super().set_cookie(name, value, *args, **kwargs)

    def prepare(self) -> Any:
        self.application.in_flight.started(self)  # type: ignore[attr-defined]
        self._counted = True

    def on_finish(self) -> None:
        if self._counted:
            self._counted = False
            self.application.in_flight.finished(self)  # type: ignore[attr-defined]

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        if self.cut_at_shutdown:
            # Tornado answers a cancelled handler with a 500. A request cut at shutdown is no
            # server error, and its connection is closed: no answer, no access-log line.
            return
        super().send_error(status_code, **kwargs)


class StaticFileHandler(CommonMixin, tornado.web.StaticFileHandler):
    """Serves static/ (the ``static_handler_class``) with the same headers as the pages.

    Tornado routes /favicon.ico and /robots.txt here too. Browsers and crawlers ask for
    /favicon.ico by name; the site's icon is static/favicon.svg (the layout links it), so they
    are sent there.
    """

    async def get(self, path: str, include_body: bool = True) -> None:
        if self.request.path == "/favicon.ico":
            self.redirect(self.static_url("favicon.svg"))
            return
        await super().get(path, include_body)


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
        token = self.session_token()
        if token:
            self.current_user = await self.db.run(
                User.by_session, token, self.settings["session_days"]
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

    def session_token(self) -> str | None:
        """The session token that the request's (signed) session cookie carries, if any."""
        token = self.get_signed_cookie(SESSION_COOKIE, max_age_days=self.settings["session_days"])
        return token.decode("ascii", "replace") if token else None

    def start_session(self, token: str) -> None:
        self.set_signed_cookie(
            SESSION_COOKIE,
            token,
            expires_days=self.settings["session_days"],
            httponly=True,
            samesite="Lax",
        )

    def end_session(self) -> None:
        self.clear_cookie(SESSION_COOKIE, httponly=True, samesite="Lax")

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


class HealthHandler(CommonMixin):
    """``GET /healthz`` for load balancers and monitors: 200 ``{"status": "ok"}`` while the
    database answers, else 503 with the reason. No session, no cookie, never cached."""

    TIMEOUT = 2.0

    async def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        db = self.application.db  # type: ignore[attr-defined]
        try:
            await asyncio.wait_for(db.run(ping), self.TIMEOUT)
        except TimeoutError:
            self.unavailable(f"the database did not answer within {self.TIMEOUT:g} s")
        except (sqlite3.Error, RuntimeError) as exc:
            # The details go to the log; anyone may ask /healthz, so the answer stays generic.
            self.unavailable("the database failed", exc)
        else:
            self.finish({"status": "ok"})

    async def head(self) -> None:
        await self.get()

    def unavailable(self, reason: str, exc: Exception | None = None) -> None:
        log.warning("health check: %s%s", reason, f" ({exc})" if exc else "")
        self.set_status(503)
        self.finish({"status": "unavailable", "reason": reason})

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish({"status": "error", "reason": self._reason})


def ping(conn: sqlite3.Connection) -> None:
    conn.execute("SELECT 1 FROM users LIMIT 1").fetchall()
