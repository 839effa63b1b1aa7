"""settings.py: secure defaults, the cookie secret from the environment or .env, trusted origins."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import settings
from server import make_app

ROOT = Path(__file__).resolve().parent.parent


def test_secure_defaults():
    assert settings.settings["cross_origin_protection"] is True
    assert settings.settings["xsrf_cookies"] is True
    assert settings.settings["debug"] is False
    assert "cookie_secret" not in settings.settings  # never written in the code


def test_the_environment_gives_the_secret(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("COOKIE_SECRET=from-the-file\n")
    monkeypatch.setattr(settings, "ENV_FILE", str(env_file))
    monkeypatch.setenv("COOKIE_SECRET", "from-the-environment")
    assert make_app().settings["cookie_secret"] == "from-the-environment"


@pytest.mark.parametrize("value", [None, ""])
def test_the_env_file_gives_the_secret_otherwise(monkeypatch, tmp_path, value):
    env_file = tmp_path / ".env"
    env_file.write_text('# a comment\n\nOTHER=1\nCOOKIE_SECRET="from-the-file"\n')
    monkeypatch.setattr(settings, "ENV_FILE", str(env_file))
    if value is None:
        monkeypatch.delenv("COOKIE_SECRET")
    else:
        monkeypatch.setenv("COOKIE_SECRET", value)
    assert make_app().settings["cookie_secret"] == "from-the-file"


def test_env_file_lines(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# COOKIE_SECRET=no\nexport A=1\nB = 'two words'\nC=$HOME\nnope\n")
    assert settings.read_env_file(str(env_file)) == {"A": "1", "B": "two words", "C": "$HOME"}
    assert settings.read_env_file(str(tmp_path / "missing")) == {}


def test_without_a_secret_the_server_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "ENV_FILE", str(tmp_path / "missing"))
    monkeypatch.delenv("COOKIE_SECRET")
    with pytest.raises(settings.SettingsError, match="COOKIE_SECRET is not set"):
        make_app()
    # As a process: a copy of the project without .env.
    for name in ("server.py", "settings.py", "handlers.py", "urls.py", "utils.py"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / "apps").symlink_to(ROOT / "apps")
    result = subprocess.run(
        [sys.executable, "server.py", "--port=0"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "COOKIE_SECRET"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == "error: COOKIE_SECRET is not set (in the environment or .env)\n"


def test_no_secret_is_written_in_the_code():
    # scaffold wrote the development secret into .env (git-ignored), not into the code.
    secret = settings.read_env_file().get("COOKIE_SECRET")
    if secret is None:
        return
    for path in ROOT.rglob("*.py"):
        if ".venv" not in path.parts:
            assert secret not in path.read_text(encoding="utf-8"), path


def test_trusted_origins_from_the_environment_or_the_option(monkeypatch):
    monkeypatch.setenv("TRUSTED_ORIGINS", " https://a.example/, https://b.example:8443")
    assert make_app().settings["trusted_origins"] == ["https://a.example", "https://b.example:8443"]
    settings.options.trusted_origins = ["https://c.example"]  # --trusted_origins=...
    try:
        assert make_app().settings["trusted_origins"] == ["https://c.example"]
    finally:
        settings.options.trusted_origins = []


def test_production_reads_the_secret_from_the_environment_only(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("COOKIE_SECRET=from-the-file\n")
    production = {"DEPLOYMENT": "production"}
    with pytest.raises(settings.SettingsError, match=r"production reads it from the environment"):
        settings.cookie_secret(production, str(env_file))
    secret = settings.cookie_secret({**production, "COOKIE_SECRET": "env"}, str(env_file))
    assert secret == "env"
    for name in ("dev", " Staging ", ""):
        assert settings.cookie_secret({"DEPLOYMENT": name}, str(env_file)) == "from-the-file"
    with pytest.raises(settings.SettingsError, match="DEPLOYMENT must be one of"):
        settings.cookie_secret({"DEPLOYMENT": "prod"}, str(env_file))


# server.main() with .env at the path given first.
WITH_ENV_FILE = """
import asyncio, sys
import server, settings
settings.ENV_FILE = sys.argv.pop(1)
asyncio.run(server.main(sys.argv))
"""


def test_production_refuses_to_start_with_a_secret_in_env_only(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("COOKIE_SECRET=from-the-file\n")
    env = {k: v for k, v in os.environ.items() if k != "COOKIE_SECRET"}
    result = subprocess.run(
        [sys.executable, "-c", WITH_ENV_FILE, str(env_file), "--port=0"],
        cwd=ROOT,
        env={**env, "DEPLOYMENT": "production"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "error: COOKIE_SECRET is not set (production reads it from the environment)\n"
    )


def test_trusted_origins_are_checked_and_lowercased(monkeypatch):
    monkeypatch.setenv("TRUSTED_ORIGINS", "HTTPS://App.Example.com/")
    assert make_app().settings["trusted_origins"] == ["https://app.example.com"]
    for bad in ("app.example.com", "https://app.example.com/path"):
        monkeypatch.setenv("TRUSTED_ORIGINS", bad)
        with pytest.raises(settings.SettingsError, match="is not scheme://host"):
            make_app()
