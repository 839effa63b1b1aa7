"""The base class of every handler, with friendly error pages."""

from __future__ import annotations

from typing import Any

import tornado.web


class BaseHandler(tornado.web.RequestHandler):
    """Adds the site title to every template and renders 404.html / 500.html."""

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace["site_title"] = self.settings["site_title"]
        return namespace

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 404:
            self.render("404.html")
        elif status_code >= 500 and not (
            self.settings.get("serve_traceback") and "exc_info" in kwargs
        ):
            # Never show the exception: it is in the server log already. Only in
            # debug mode (serve_traceback) does Tornado's own page show the traceback.
            self.render("500.html", status_code=status_code)
        else:
            super().write_error(status_code, **kwargs)


class NotFoundHandler(BaseHandler):
    """The Application's default_handler_class: every unknown path is a 404 page."""

    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)
