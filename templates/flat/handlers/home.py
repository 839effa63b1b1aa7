"""The home page."""

from handlers.base import BaseHandler


class HomeHandler(BaseHandler):
    def get(self) -> None:
        self.render("home.html")
