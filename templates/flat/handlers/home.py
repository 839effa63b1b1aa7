"""The home page, and the health check that monitors and load balancers poll."""

from handlers.base import BaseHandler


class HomeHandler(BaseHandler):
    def get(self) -> None:
        self.render("home.html")

    def head(self) -> None:
        self.get()  # Tornado sends the headers only


class HealthHandler(BaseHandler):
    """``GET /healthz``: ``200 {"status": "ok"}`` while the server is up; no template, no cache."""

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.write_json({"status": "ok"})

    def head(self) -> None:
        self.get()
