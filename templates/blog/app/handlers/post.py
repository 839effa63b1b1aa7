from __future__ import annotations

import tornado.web

from app.handlers.base import BaseHandler
from app.objects.post import Post

# SQLite's largest integer: a larger id names no post (and SQLite cannot even be asked about it;
# nor can Python read a number of more than 4300 digits).
MAX_ID = 2**63 - 1


class PostHandler(BaseHandler):
    """One post's page: /post/<id>."""

    async def get(self, post_id: str) -> None:
        if len(post_id) > len(str(MAX_ID)) or int(post_id) > MAX_ID:
            raise tornado.web.HTTPError(404)
        post = await self.db.run(Post.get, int(post_id))
        if post is None:
            raise tornado.web.HTTPError(404)
        self.render("pages/post.html", post=post)

    async def head(self, post_id: str) -> None:
        await self.get(post_id)
