from __future__ import annotations

from app.handlers.base import BaseHandler
from app.objects.post import Post

PAGE_SIZE = 50


class HomeHandler(BaseHandler):
    """The front page: the newest links."""

    async def get(self) -> None:
        posts = await self.db.run(Post.recent, PAGE_SIZE)
        self.render("pages/home.html", posts=posts)

    async def head(self) -> None:
        await self.get()
