"""The chat's behaviour on the in-memory backend, plus app-level checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
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


def test_state_lives_on_the_application_not_in_settings() -> None:
    buffer = MemoryMessageBuffer()
    app = chat_app.make_app(message_buffer=buffer)
    assert app.buffer is buffer
    assert "message_buffer" not in app.settings
    assert app.last_updates is None and len(app.in_flight) == 0


PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_app(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=30,
    )


FORM = "options take the form --name=value, for example"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--port=abc"],
            "bad value in --port=abc: invalid literal for int() with base 10: 'abc' (see --help)",
        ),
        (["--nope"], "unknown option '--nope' (see --help)"),
        (["--nope=1"], "unknown option '--nope' (see --help)"),
        (["--port", "8000"], f"Option 'port' requires a value; {FORM} --port=8000"),
        (["--port", "--debug"], "Option 'port' requires a value (see --help)"),
        (["8000"], f"unexpected argument '8000'; {FORM} --port=8000"),
        (["--debug", "8000"], f"unexpected argument '8000'; {FORM} --port=8000"),
    ],
)
def test_bad_command_lines_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run_app(*args)
    assert result.returncode == 2, result
    assert result.stderr.splitlines() == [f"error: {message}"], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_good_command_line_values_are_parsed() -> None:
    code = (
        "import app; "
        "app.parse_options(['app.py', '--port=8000', '--debug', '--poll_timeout=2.5', "
        "'--shutdown_grace=1', '--address=0.0.0.0']); "
        "o = app.options; print(o.port, o.debug, o.poll_timeout, o.shutdown_grace, o.address)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["8000", "True", "2.5", "1.0", "0.0.0.0"]


def test_help_lists_the_options() -> None:
    result = run_app("--help")
    assert result.returncode == 0
    for name in ("--port", "--poll-timeout", "--shutdown-grace", "--max-message-length"):
        assert name in result.stdout + result.stderr


def test_options_are_not_parsed_at_import() -> None:
    # Importing app (as pytest just did) must not have parsed pytest's command line.
    assert chat_app.options.port == 8888


def test_cookie_secret_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("COOKIE_SECRET", "from-env")
    assert chat_app.make_app().settings["cookie_secret"] == "from-env"
    monkeypatch.delenv("COOKIE_SECRET")
    assert chat_app.make_app().settings["cookie_secret"] == chat_app.DEFAULT_COOKIE_SECRET
    assert len(chat_app.DEFAULT_COOKIE_SECRET) == 64
