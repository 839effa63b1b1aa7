"""Shared test helpers.

The tests import the project's modules (app, settings, ...) from the project root, which
pyproject.toml puts on sys.path.
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
