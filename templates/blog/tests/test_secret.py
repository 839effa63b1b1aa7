"""The cookie secret: from $COOKIE_SECRET, else from the git-ignored .env file, else no start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import web

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# for development\n\nCOOKIE_SECRET=from-the-file\n", encoding="utf-8")
    return str(path)


def test_the_environment_wins(env_file):
    assert web.cookie_secret({"COOKIE_SECRET": "from-env"}, env_file) == "from-env"


def test_the_env_file_is_used_when_the_environment_has_none(env_file):
    assert web.cookie_secret({}, env_file) == "from-the-file"
    assert web.cookie_secret({"COOKIE_SECRET": ""}, env_file) == "from-the-file"


def test_production_reads_the_environment_only(env_file):
    production = {"DEPLOYMENT": "production"}
    assert web.cookie_secret(production, env_file) is None
    assert web.cookie_secret({**production, "COOKIE_SECRET": "from-env"}, env_file) == "from-env"
    for name in ("dev", "staging", " Staging ", ""):
        assert web.cookie_secret({"DEPLOYMENT": name}, env_file) == "from-the-file"
    with pytest.raises(ValueError, match="DEPLOYMENT must be one of dev, staging, production"):
        web.cookie_secret({"DEPLOYMENT": "prod"}, env_file)
    # Refused with a secret in the environment too: a typo is not a deployment.
    with pytest.raises(ValueError, match="DEPLOYMENT must be one of dev, staging, production"):
        web.cookie_secret({"DEPLOYMENT": "prod", "COOKIE_SECRET": "from-env"}, env_file)


def test_without_either_there_is_no_secret(tmp_path):
    assert web.cookie_secret({}, str(tmp_path / "missing.env")) is None
    (tmp_path / "other.env").write_text("OTHER=1\n", encoding="utf-8")
    assert web.cookie_secret({}, str(tmp_path / "other.env")) is None


def test_the_env_file_is_read_plainly(tmp_path):
    path = tmp_path / ".env"
    path.write_text(
        "# a comment\n\n  A = 1 \nB='two words'\nC=\"$HOME\"\nnot a setting\nD=x=y\n",
        encoding="utf-8",
    )
    assert web.read_env_file(str(path)) == {"A": "1", "B": "two words", "C": "$HOME", "D": "x=y"}


def test_the_env_file_is_the_one_next_to_web_py():
    # Found from the module's own path, not from the working directory.
    assert web.ENV_FILE == str(ROOT / ".env")


def test_make_app_refuses_to_build_without_a_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("COOKIE_SECRET", raising=False)
    monkeypatch.setattr(web, "ENV_FILE", str(tmp_path / "missing.env"))
    with pytest.raises(RuntimeError, match="COOKIE_SECRET is not set"):
        web.make_app(db_path=str(tmp_path / "x.db"))


def test_the_server_refuses_to_start_without_a_secret(tmp_path):
    script = "import sys, web; web.ENV_FILE = sys.argv.pop(1); web.main(sys.argv)"
    env = {k: v for k, v in os.environ.items() if k != "COOKIE_SECRET"}
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "missing.env"), "--port=0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: COOKIE_SECRET is not set"), result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("deployment", "message"),
    [
        (
            "production",
            "error: COOKIE_SECRET is not set (production reads it from the environment)",
        ),
        ("prod", "error: DEPLOYMENT must be one of dev, staging, production, not 'prod'"),
    ],
)
def test_production_refuses_to_start_with_a_secret_in_env_only(env_file, deployment, message):
    script = "import sys, web; web.ENV_FILE = sys.argv.pop(1); web.main(sys.argv)"
    env = {k: v for k, v in os.environ.items() if k != "COOKIE_SECRET"}
    result = subprocess.run(
        [sys.executable, "-c", script, env_file, "--port=0"],
        cwd=ROOT,
        env={**env, "DEPLOYMENT": deployment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == message + "\n"


def test_no_python_file_holds_a_secret():
    secret = web.read_env_file().get("COOKIE_SECRET")
    for path in [*ROOT.glob("*.py"), *ROOT.glob("app/**/*.py"), *ROOT.glob("tests/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b[0-9a-f]{64}\b", text), path
        if secret:
            assert secret not in text, path
