"""The URL table: named routes, so templates and handlers can use reverse_url().

Static files need no route: Tornado serves static/ at /static/, and static/robots.txt (and a
favicon.ico, if you add one) at the root.
"""

from tornado.web import url

from .handlers.home import HealthHandler, HomeHandler

url_patterns = [
    url(r"/", HomeHandler, name="home"),
    url(r"/healthz", HealthHandler, name="healthz"),
]
