from __future__ import annotations

from app.handlers.base import SESSION_COOKIE, BaseHandler
from app.objects.user import User


class LogoutHandler(BaseHandler):
    """POST only (with the XSRF token), so no link or image on another site can log anyone out.

    Deletes the session on the server as well as the cookie: a copy of the cookie stops working.
    """

    async def post(self) -> None:
        token = self.get_signed_cookie(SESSION_COOKIE, max_age_days=self.settings["session_days"])
        if token:
            await self.db.run(User.end_session, token.decode("ascii", "replace"))
        self.end_session()
        self.redirect(self.reverse_url("home"))
