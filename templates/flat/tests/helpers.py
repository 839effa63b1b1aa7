"""Helpers shared by the tests (``from helpers import ...``: pytest puts tests/ on sys.path).

The project's own modules (app, settings, ...) are importable because pyproject.toml puts the
project root on sys.path as well.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from tornado.httpclient import HTTPResponse


def cookies_from(response: HTTPResponse) -> dict[str, str]:
    """The cookies a response sets, by name."""
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("Set-Cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}
