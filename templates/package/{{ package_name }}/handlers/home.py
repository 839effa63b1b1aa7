"""The home page, and the health check that Docker and load balancers poll."""

from .base import BaseHandler

# Where the home page's template lives in this project, to say so on the page.
INDEX_TEMPLATE = __name__.split(".")[0] + "/templates/index.html"


class HomeHandler(BaseHandler):
    def get(self) -> None:
        self.render("index.html", template_file=INDEX_TEMPLATE)

    def head(self) -> None:
        self.get()  # Tornado sends the headers only


class HealthHandler(BaseHandler):
    """``GET /healthz``: ``200 {"status": "ok"}`` while the server is up; no template, no cache."""

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.write({"status": "ok"})

    def head(self) -> None:
        self.get()
