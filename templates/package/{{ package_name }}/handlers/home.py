"""The home page."""

from .base import BaseHandler


class HomeHandler(BaseHandler):
    def get(self) -> None:
        self.render("index.html")
