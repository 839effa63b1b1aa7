from __future__ import annotations

import tornado.web

from app.handlers.base import BaseHandler
from app.objects.post import Post


class PostHandler(BaseHandler):
    """One post's page: /post/<id>."""

    async def get(self, post_id: str) -> None:
        post = await self.db.run(Post.get, int(post_id))
        if post is None:
            raise tornado.web.HTTPError(404)
        self.render("pages/post.html", post=post)

    async def head(self, post_id: str) -> None:
        await self.get(post_id)
