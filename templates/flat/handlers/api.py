"""A small JSON API, to build yours on."""

import tornado.web

from handlers.base import ApiHandler


class EchoHandler(ApiHandler):
    """``POST /api/echo`` with ``{"message": "..."}`` answers ``{"echo": "..."}``."""

    def post(self) -> None:
        message = self.get_json_argument("message")
        if not isinstance(message, str):
            raise tornado.web.HTTPError(400, reason="message must be a string")
        self.write_json({"echo": message, "length": len(message)})
