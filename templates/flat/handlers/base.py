"""The handlers every other handler builds on."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

import tornado.web

from lib import jsonbody

log = logging.getLogger(__name__)

_NO_JSON = object()


class BaseHandler(tornado.web.RequestHandler):
    """Common behaviour for every handler.

    - A request body sent as ``Content-Type: application/json`` is decoded once, in
      ``prepare()``, and kept in ``self.json_body`` (``None`` when there is none). A body that
      is not valid JSON is answered with 400 before your ``post()`` runs.
    - Errors are rendered as ``templates/error.html``, or as a JSON object
      ``{"error": {"status": ..., "message": ...}}`` when ``json_errors`` is true (API routes).
    - Templates get ``site_name``, ``site_description`` and ``deployment`` from the settings.
    """

    json_errors = False
    json_body: Any = None

    def prepare(self) -> None:
        self.json_body = None
        if self.request.body and jsonbody.is_json_content_type(
            self.request.headers.get("Content-Type")
        ):
            try:
                self.json_body = jsonbody.decode(self.request.body)
            except jsonbody.InvalidJSON as exc:
                raise tornado.web.HTTPError(400, "Invalid JSON body: %s", exc) from exc

    def get_json_argument(self, name: str, default: Any = _NO_JSON) -> Any:
        """The value of ``name`` in the JSON object body, like ``get_argument`` for forms.

        Without a ``default``, a missing value (or a body that is not a JSON object) is a 400.
        """
        if isinstance(self.json_body, dict) and name in self.json_body:
            return self.json_body[name]
        if default is _NO_JSON:
            raise tornado.web.HTTPError(400, "Missing JSON field %r", name)
        return default

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(
            site_name=self.settings.get("site_name", ""),
            site_description=self.settings.get("site_description", ""),
            deployment=self.settings.get("deployment", ""),
        )
        return namespace

    def write_json(self, data: Any, status: int = 200) -> None:
        """Send ``data`` as JSON (any JSON value, not only a dict)."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(data))

    def error_message(self, status_code: int, exc: BaseException | None) -> str:
        """What the client is told: the HTTPError's message for 4xx, the reason phrase otherwise."""
        if isinstance(exc, tornado.web.HTTPError) and exc.log_message and status_code < 500:
            return exc.log_message % exc.args if exc.args else exc.log_message
        return self._reason

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        message = self.error_message(status_code, exc)
        details = None
        if exc_info and self.settings.get("serve_traceback"):
            details = "".join(traceback.format_exception(*exc_info))
        if self.json_errors:
            error: dict[str, Any] = {"status": status_code, "message": message}
            if details:
                error["traceback"] = details
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps({"error": error}))
            return
        try:
            self.render(
                "error.html",
                status_code=status_code,
                reason=self._reason,
                message=message,
                details=details,
            )
        except Exception:
            log.exception("Could not render error.html; sending Tornado's plain error page")
            self.clear()
            self.set_status(status_code)
            super().write_error(status_code, **kwargs)


class ApiHandler(BaseHandler):
    """Base class for JSON API handlers: JSON errors, and bodies must be JSON.

    XSRF protection still applies: send the ``_xsrf`` cookie's value in an ``X-XSRFToken``
    header (the home page's script shows how).
    """

    json_errors = True

    def prepare(self) -> None:
        super().prepare()
        if self.request.body and not jsonbody.is_json_content_type(
            self.request.headers.get("Content-Type")
        ):
            raise tornado.web.HTTPError(415, "Send the request body as application/json")


class NotFoundHandler(BaseHandler):
    """Answers every URL that no route matches (the ``default_handler_class``)."""

    def check_xsrf_cookie(self) -> None:
        # A POST to a missing page has no side effect: answer 404, not 403 (as Tornado does).
        pass

    def prepare(self) -> None:
        self.json_errors = self.request.path.startswith("/api/")
        raise tornado.web.HTTPError(404, "There is no page at %s", self.request.path)
