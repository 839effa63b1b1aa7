"""BaseHandler: database access, the logged-in user, session cookies and error pages."""

from __future__ import annotations

import http.client
import logging
from typing import Any

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


class BaseHandler(tornado.web.RequestHandler):
    @property
    def db(self) -> Database:
        return self.application.db  # type: ignore[attr-defined]

    async def prepare(self) -> None:
        # get_current_user() cannot await, so the user is looked up here, once per request
        # (Tornado's documented pattern for asynchronous authentication).
        token = self.get_signed_cookie(SESSION_COOKIE, max_age_days=self.settings["session_days"])
        if token:
            self.current_user = await self.db.run(
                User.by_session, token.decode("ascii", "replace"), self.settings["session_days"]
            )

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
    """Answers every URL that no route matches, with the friendly 404 page."""

    def prepare(self) -> None:  # type: ignore[override]
        raise tornado.web.HTTPError(404)
