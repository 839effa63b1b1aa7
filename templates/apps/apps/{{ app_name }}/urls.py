"""Routes of this app, relative to where the root urls.py mounts it (see utils.include)."""

from tornado.web import url

from .views import HelloHandler, IndexHandler

urls = [
    # The app's root: the mount prefix itself.
    url(r"", IndexHandler, name="index"),
    # The group is passed to HelloHandler.get(); reverse_url("hello", "Ada") fills it in.
    url(r"hello/([^/]+)", HelloHandler, name="hello"),
]
