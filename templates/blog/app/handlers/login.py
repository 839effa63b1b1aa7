from __future__ import annotations

import logging
import math

from tornado.ioloop import IOLoop

from app.handlers.base import BaseHandler, safe_next
from app.objects.user import User, check_login

log = logging.getLogger(__name__)


class LoginHandler(BaseHandler):
    """GET shows the login form; POST checks the password and starts a session.

    After logging in the browser goes to ``next`` (set by @tornado.web.authenticated), but only
    if it is a path on this site: anything else goes to the front page.

    Failed logins are throttled per client address and per user name
    (``application.login_throttle``, see app/ratelimit.py): past the limit, a login is answered
    429 with a Retry-After header, without checking the password.
    """

    def get(self) -> None:
        next_url = safe_next(self.get_argument("next", "/"))
        if self.current_user:
            self.redirect(next_url)
            return
        self.render("pages/login.html", name="", next_url=next_url, error=None)

    def head(self) -> None:
        self.get()

    async def post(self) -> None:
        name = self.get_argument("name", "").strip()
        password = self.get_argument("password", "")
        next_url = safe_next(self.get_argument("next", "/"))
        address = self.request.remote_ip or ""
        throttle = self.application.login_throttle  # type: ignore[attr-defined]
        wait = throttle.retry_after(address, name)
        if wait:
            log.warning("throttled login for %r from %s", name, address)
            seconds = math.ceil(wait)
            self.set_status(429)
            self.set_header("Retry-After", str(seconds))
            when = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
            error = f"Too many failed logins. Try again in {when}."
            self.render("pages/login.html", name=name, next_url=next_url, error=error)
            return
        user = await self.db.run(User.by_name, name) if name else None
        # scrypt is slow on purpose: run it on the application's small hashing pool (each hash
        # takes 128 MiB), not on the event loop.
        executor = self.application.hash_executor  # type: ignore[attr-defined]
        ok = await IOLoop.current().run_in_executor(executor, check_login, user, password)
        if not ok:
            # The name is logged (repr: no control characters reach the log), the password never.
            log.warning("failed login for %r from %s", name, address)
            throttle.failed(address, name)
            self.set_status(403)
            self.render(
                "pages/login.html",
                name=name,
                next_url=next_url,
                error="Wrong user name or password.",
            )
            return
        token = await self.db.run(User.start_session, user.id, self.settings["session_days"])
        self.start_session(token)
        log.info("%s logged in from %s", user.name, address)
        self.redirect(next_url)
