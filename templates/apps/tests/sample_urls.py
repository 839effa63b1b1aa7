"""A route table in every form include() accepts (used by test_include.py)."""

import re

from tornado.web import RequestHandler, URLSpec, url


class EchoHandler(RequestHandler):
    def initialize(self, greeting: str = "hi") -> None:
        self.greeting = greeting

    def get(self, *args: str, **kwargs: str) -> None:
        self.write({"greeting": self.greeting, "args": list(args), "kwargs": kwargs})


urls = [
    url(r"", EchoHandler, name="root"),
    url(r"/absolute", EchoHandler, name="absolute"),
    url(r"^anchored", EchoHandler, name="anchored"),
    url(r"items/([0-9]+)/([a-z]+)", EchoHandler, name="item"),
    url(r"users/(?P<user>[^/]+)", EchoHandler, name="user"),
    URLSpec(r"kw", EchoHandler, {"greeting": "hello"}, name="kw"),
    (r"pair", EchoHandler),
    (r"triple/([0-9]+)", EchoHandler, {"greeting": "three"}),
    (r"quad", EchoHandler, {"greeting": "four"}, "quad"),
    url(re.compile(r"shout/(?P<word>[a-z]+)$", re.IGNORECASE), EchoHandler, name="shout"),
]
