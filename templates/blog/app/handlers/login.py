from __future__ import annotations

import logging

from tornado.ioloop import IOLoop

from app.handlers.base import BaseHandler, safe_next
from app.objects.user import User, check_login

log = logging.getLogger(__name__)


class LoginHandler(BaseHandler):
    """GET shows the login form; POST checks the password and starts a session.

    After logging in the browser goes to ``next`` (set by @tornado.web.authenticated), but only
    if it is a path on this site: anything else goes to the front page.
    """

    def get(self) -> None:
        next_url = safe_next(self.get_argument("next", "/"))
        if self.current_user:
            self.redirect(next_url)
            return
        self.render("pages/login.html", name="", next_url=next_url, error=None)

    async def post(self) -> None:
        name = self.get_argument("name", "").strip()
        password = self.get_argument("password", "")
        next_url = safe_next(self.get_argument("next", "/"))
        user = await self.db.run(User.by_name, name) if name else None
        # scrypt is slow on purpose: run it on a thread, not on the event loop.
        ok = await IOLoop.current().run_in_executor(None, check_login, user, password)
        if not ok:
            # The name is logged (repr: no control characters reach the log), the password never.
            log.warning("failed login for %r from %s", name, self.request.remote_ip)
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
        log.info("%s logged in from %s", user.name, self.request.remote_ip)
        self.redirect(next_url)
