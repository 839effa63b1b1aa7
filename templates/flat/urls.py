"""The routes. Every route has a name, so templates and handlers use ``reverse_url(name)``."""

from tornado.web import url

from handlers.api import EchoHandler
from handlers.home import HealthHandler, HomeHandler

url_patterns = [
    url(r"/", HomeHandler, name="home"),
    url(r"/healthz", HealthHandler, name="healthz"),
    url(r"/api/echo", EchoHandler, name="api-echo"),
]
