"""settings.py: secure defaults, and the cookie secret from the environment."""

import importlib
import re

import settings


def test_secure_defaults():
    assert settings.settings["xsrf_cookies"] is True
    assert settings.settings["debug"] is False


def test_generated_cookie_secret_is_the_fallback(monkeypatch):
    monkeypatch.delenv("COOKIE_SECRET", raising=False)
    try:
        assert re.fullmatch(r"[0-9a-f]{64}", importlib.reload(settings).settings["cookie_secret"])
    finally:
        importlib.reload(settings)


def test_cookie_secret_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("COOKIE_SECRET", "from-the-environment")
    try:
        assert importlib.reload(settings).settings["cookie_secret"] == "from-the-environment"
    finally:
        monkeypatch.undo()
        importlib.reload(settings)
