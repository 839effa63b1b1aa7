"""The URL table: named routes, so templates and handlers can use reverse_url()."""

from tornado.web import StaticFileHandler, url

from .handlers.home import HomeHandler
from .settings import STATIC_PATH

url_patterns = [
    url(r"/", HomeHandler, name="home"),
    # Crawlers look for /robots.txt at the root; the file lives in static/.
    url(r"/(robots\.txt)", StaticFileHandler, {"path": str(STATIC_PATH)}, name="robots"),
]
