"""The chat's behaviour on the in-memory backend, plus app-level checks."""

from __future__ import annotations

import json

import tornado.testing

import app as chat_app
from message_buffer import BufferUnavailable, MemoryMessageBuffer
from tests.chat_behaviour import ChatBehaviour


class TestMemoryChat(ChatBehaviour, tornado.testing.AsyncHTTPTestCase):
    def make_buffer(self) -> MemoryMessageBuffer:
        return MemoryMessageBuffer(cache_size=self.CACHE_SIZE)


class BrokenBuffer(MemoryMessageBuffer):
    async def add(self, message):
        raise BufferUnavailable("storage is down")


class TestStorageDown(tornado.testing.AsyncHTTPTestCase):
    def get_app(self):
        return chat_app.make_app(message_buffer=BrokenBuffer())

    def test_new_message_is_503_when_storage_is_down(self) -> None:
        page = self.fetch("/")
        token = page.headers["Set-Cookie"].split("_xsrf=", 1)[1].split(";", 1)[0]
        response = self.fetch(
            "/a/message/new",
            method="POST",
            body="body=hello",
            headers={"Cookie": "_xsrf=" + token, "X-XSRFToken": token},
        )
        assert response.code == 503
        assert json.loads(response.body)["error"] == "chat storage is unavailable"


class TestStatsEndpoint(tornado.testing.AsyncHTTPTestCase):
    def get_app(self):
        return chat_app.make_app(stats=True)

    def test_stats_for_loopback_clients(self) -> None:
        response = self.fetch("/a/stats")
        assert response.code == 200
        assert json.loads(response.body)["waiters"] == 0

    def test_stats_refuse_proxied_requests(self) -> None:
        response = self.fetch("/a/stats", headers={"X-Forwarded-For": "203.0.113.9"})
        assert response.code == 403


def test_is_safe_next() -> None:
    assert chat_app.is_safe_next("/")
    assert chat_app.is_safe_next("/room/1?x=y#z")
    for bad in ("", "x", "//a", "/\\a", "http://a", "/a b", "/\x00", "/a\\b"):
        assert not chat_app.is_safe_next(bad), repr(bad)


def test_options_are_not_parsed_at_import() -> None:
    # Importing app (as pytest just did) must not have parsed pytest's command line.
    assert chat_app.options.port == 8888


def test_cookie_secret_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("COOKIE_SECRET", "from-env")
    assert chat_app.make_app().settings["cookie_secret"] == "from-env"
    monkeypatch.delenv("COOKIE_SECRET")
    assert chat_app.make_app().settings["cookie_secret"] == chat_app.DEFAULT_COOKIE_SECRET
    assert len(chat_app.DEFAULT_COOKIE_SECRET) == 64
