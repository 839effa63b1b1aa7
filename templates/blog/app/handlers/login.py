from __future__ import annotations

import logging
import math

from app.handlers.base import BaseHandler, safe_next
from app.objects.user import MAX_NAME, User, check_login

log = logging.getLogger(__name__)

# What a login refused because the hashing queue is full tells the browser: about the time the
# queue takes to drain (16 logins on 2 threads at a few tenths of a second each).
BUSY_RETRY_AFTER = 5


class LoginHandler(BaseHandler):
    """GET shows the login form; POST checks the password and starts a session.

    After logging in the browser goes to ``next`` (set by @tornado.web.authenticated), but only
    if it is a path on this site: anything else goes to the front page.

    Logins are throttled per user name from one client address and per client address
    (``application.login_throttle``, see app/ratelimit.py): each attempt is counted before its
    password is checked, and past a limit a login is answered 429 with a Retry-After header,
    without checking the password. Passwords are checked on a few threads behind a bounded
    queue (``application.hashing``): when it is full, a login is answered 503 with Retry-After.
    A user name longer than any user's is answered 400 before any of this, and never logged.
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
        # From the form's body only: a password in the URL would be kept in browser histories
        # and in the access logs of every proxy on the way.
        name = self.get_body_argument("name", "").strip()
        password = self.get_body_argument("password", "")
        next_url = safe_next(self.get_body_argument("next", "/"))
        address = self.request.remote_ip or ""
        throttle = self.application.login_throttle  # type: ignore[attr-defined]
        hashing = self.application.hashing  # type: ignore[attr-defined]

        if len(name) > MAX_NAME:
            # No user has such a name. Refused before it is counted, logged or looked up: a
            # name of a megabyte must cost no memory in the throttle and no megabyte of log.
            log.warning("login refused from %s: a user name of %d characters", address, len(name))
            self.set_status(400)
            self.render(
                "pages/login.html",
                name="",
                next_url=next_url,
                error=f"A user name is at most {MAX_NAME} characters long.",
            )
            return

        # Check the limits and count this attempt in one step, on the event loop, before
        # anything is awaited: logins sent at the same time cannot all pass the check before
        # the first of them is counted.
        attempt = throttle.reserve(address, name)
        if attempt is None:
            log.warning("throttled login for %r from %s", name, address)
            seconds = math.ceil(throttle.retry_after(address, name))
            when = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
            error = f"Too many failed logins. Try again in {when}."
            self.refuse(429, seconds, error, name, next_url)
            return
        if not hashing.admit():
            throttle.cancel(attempt)  # its password is not checked: it does not count
            log.warning("login for %r from %s refused: the hashing queue is full", name, address)
            self.refuse(
                503,
                BUSY_RETRY_AFTER,
                f"Too many logins at once. Try again in {BUSY_RETRY_AFTER} seconds.",
                name,
                next_url,
            )
            return
        try:
            user = await self.db.run(User.by_name, name) if name else None
            # scrypt is slow on purpose: it runs on the application's few hashing threads (each
            # hash takes 128 MiB), not on the event loop.
            ok = await hashing.run(check_login, user, password)
        finally:
            hashing.release()
        if not ok:
            # The name is logged (repr: no control characters reach the log), the password never.
            log.warning("failed login for %r from %s", name, address)
            self.set_status(403)
            self.render(
                "pages/login.html",
                name=name,
                next_url=next_url,
                error="Wrong user name or password.",
            )
            return
        throttle.cancel(attempt)  # a successful login counts nothing
        # A new session, and the end of the one this browser had: a copy of the old cookie
        # (taken before this login) stops working.
        token = await self.db.run(
            User.start_session, user.id, self.settings["session_days"], self.session_token()
        )
        self.start_session(token)
        log.info("%s logged in from %s", user.name, address)
        self.redirect(next_url)

    def refuse(self, status: int, seconds: int, error: str, name: str, next_url: str) -> None:
        self.set_status(status)
        self.set_header("Retry-After", str(seconds))
        self.render("pages/login.html", name=name, next_url=next_url, error=error)
