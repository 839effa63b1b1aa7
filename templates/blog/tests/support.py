"""BlogTestCase: the application on a temporary database, plus a small cookie-keeping client."""

from __future__ import annotations

import os
import re
import tempfile
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from tornado.httpclient import HTTPResponse
from tornado.testing import AsyncHTTPTestCase

from app.handlers.base import SESSION_COOKIE
from app.objects import dbobject, user
from app.objects.user import User
from web import close_app, make_app, make_server

NAME = "ada"
PASSWORD = "correct horse battery staple"
# The cost web.py really uses; tests/conftest.py lowers it for speed, test_models checks it.
REAL_SCRYPT_N = user.SCRYPT_N


class BlogTestCase(AsyncHTTPTestCase):
    """Each test gets a fresh database holding one user, NAME with PASSWORD."""

    app_settings: dict = {}
    xheaders = False

    def get_app(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.db_path = os.path.join(self.tmp.name, "test.db")
        dbobject.create_schema(self.db_path)
        with dbobject.connect(self.db_path) as conn:
            User.create(conn, NAME, PASSWORD)
        self.cookies: dict[str, str] = {}
        self.app = make_app(db_path=self.db_path, cookie_secret="test-secret", **self.app_settings)
        return self.app

    def get_http_server(self):
        return make_server(self.app, xheaders=self.xheaders)

    def tearDown(self):
        super().tearDown()
        close_app(self.app)
        self.tmp.cleanup()

    # A browser, roughly: keeps cookies, never follows redirects (tests look at them).
    def request(
        self, path: str, method: str = "GET", form: dict | None = None, **kwargs
    ) -> HTTPResponse:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urlencode(form) if form is not None else None
        if method == "POST" and body is None:
            body = ""
        response = self.fetch(
            path, method=method, body=body, headers=headers, follow_redirects=False, **kwargs
        )
        for header in response.headers.get_list("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:  # clear_cookie() sends an empty, expired cookie
                    self.cookies.pop(name, None)
        return response

    def xsrf_token(self) -> str:
        """The _xsrf field of a form, as a browser would submit it: from the login page, or
        from the admin page once logged in (either also sets the _xsrf cookie)."""
        page = "/admin" if SESSION_COOKIE in self.cookies else "/login"
        body = self.request(page).body.decode()
        match = re.search(r'name="_xsrf" value="([^"]+)"', body)
        assert match, body
        return match.group(1)

    def post_form(self, path: str, form: dict) -> HTTPResponse:
        """POST a form the way a browser does: with the XSRF token."""
        return self.request(path, "POST", {**form, "_xsrf": self.xsrf_token()})

    def login(
        self, name: str = NAME, password: str = PASSWORD, next_url: str = "/"
    ) -> HTTPResponse:
        return self.post_form("/login", {"name": name, "password": password, "next": next_url})
