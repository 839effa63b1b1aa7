from __future__ import annotations

import re

import tornado.web

from app.handlers.base import BaseHandler
from app.objects import post as post_rules
from app.objects.post import Post


class AdminHandler(BaseHandler):
    """The admin area: add a link, delete one. Logged-in users only.

    @tornado.web.authenticated sends a GET (or HEAD) from a visitor to the login_url (with
    ``next``) and answers other methods with 403. Its pages are sent with
    ``Cache-Control: no-store``, like every page shown to a logged-in user (BaseHandler).
    """

    async def render_admin(self, errors: list[str], form: dict[str, str]) -> None:
        posts = await self.db.run(Post.recent, 100)
        self.render("pages/admin.html", posts=posts, errors=errors, form=form)

    @tornado.web.authenticated
    async def get(self) -> None:
        await self.render_admin([], {"title": "", "url": "", "comment": ""})

    @tornado.web.authenticated
    async def head(self) -> None:
        await self.render_admin([], {"title": "", "url": "", "comment": ""})

    @tornado.web.authenticated
    async def post(self) -> None:
        action = self.get_argument("action", "create")
        if action == "create":
            await self.create()
        elif action == "delete":
            await self.delete()
        else:
            raise tornado.web.HTTPError(400, reason="Unknown action")

    async def create(self) -> None:
        form = {
            "title": self.get_argument("title", "").strip(),
            "url": self.get_argument("url", "").strip(),
            "comment": self.get_argument("comment", "").strip(),
        }
        errors = post_rules.validate(form["title"], form["url"], form["comment"])
        if errors:
            self.set_status(400)
            await self.render_admin(errors, form)
            return
        await self.db.run(
            Post.create, form["title"], form["url"], form["comment"], self.current_user.id
        )
        self.redirect(self.reverse_url("admin"))

    async def delete(self) -> None:
        post_id = self.get_argument("post_id", "")
        if not re.fullmatch(r"[0-9]{1,19}", post_id):
            raise tornado.web.HTTPError(400, reason="Bad post id")
        if not await self.db.run(Post.delete, int(post_id)):
            raise tornado.web.HTTPError(404)
        self.redirect(self.reverse_url("admin"))
