"""web.py as a command: --init-db, --create-user, option parsing, serving and stopping."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from app.objects import dbobject
from app.objects.user import User, check_login
from web import PASSWORD_ENV, with_equals

ROOT = Path(__file__).resolve().parent.parent


def web(*args: str, password: str | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    if password is not None:
        env[PASSWORD_ENV] = password
    return subprocess.run(
        [sys.executable, "web.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_init_db_and_create_user(tmp_path):
    db = str(tmp_path / "cli.db")
    result = web("--db", db, "--init-db")
    assert result.returncode == 0, result.stderr
    assert dbobject.has_schema(db)

    result = web(f"--db={db}", "--create-user", "admin", password="s3cret-password")
    assert result.returncode == 0, result.stderr
    assert "Created the admin user 'admin'" in result.stdout
    assert "s3cret-password" not in result.stdout + result.stderr
    with dbobject.connect(db) as conn:
        user = User.by_name(conn, "admin")
    assert check_login(user, "s3cret-password")
    assert "s3cret-password" not in user.password_hash

    again = web("--db", db, "--init-db")  # idempotent: the user survives
    assert again.returncode == 0, again.stderr
    with dbobject.connect(db) as conn:
        assert User.by_name(conn, "admin") is not None


def test_init_db_and_create_user_in_one_go(tmp_path):
    db = str(tmp_path / "cli.db")
    result = web("--db", db, "--init-db", "--create-user", "ada", password="lovelace-1815")
    assert result.returncode == 0, result.stderr
    with dbobject.connect(db) as conn:
        assert check_login(User.by_name(conn, "ada"), "lovelace-1815")


def test_create_user_errors_are_clear(tmp_path):
    db = str(tmp_path / "cli.db")
    result = web("--db", db, "--create-user", "admin", password="s3cret-password")
    assert result.returncode == 1
    assert "--init-db" in result.stderr
    assert not os.path.exists(db)

    web("--db", db, "--init-db")
    no_password = web("--db", db, "--create-user", "admin")  # stdin is not a terminal
    assert no_password.returncode == 1
    assert PASSWORD_ENV in no_password.stderr

    short = web("--db", db, "--create-user", "admin", password="short")
    assert short.returncode == 1
    assert "at least 8 characters" in short.stderr

    web("--db", db, "--create-user", "admin", password="s3cret-password")
    duplicate = web("--db", db, "--create-user", "ADMIN", password="other-password")
    assert duplicate.returncode == 1
    assert "already a user" in duplicate.stderr
    for result in (no_password, short, duplicate):
        assert "Traceback" not in result.stderr


def test_server_refuses_to_start_without_schema(tmp_path):
    result = web("--db", str(tmp_path / "none.db"), "--port", "0")
    assert result.returncode == 1
    assert "run `python web.py --init-db` first" in result.stderr


def test_a_bad_option_is_a_clear_error():
    result = web("--nope")
    assert result.returncode == 1
    assert "Unrecognized command line option: 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_options_may_be_written_with_a_space_or_an_equals_sign():
    argv = ["web.py", "--port", "9000", "--debug", "--db=x.db", "--create-user", "ada"]
    assert with_equals(argv) == [
        "web.py",
        "--port=9000",
        "--debug",
        "--db=x.db",
        "--create-user=ada",
    ]
    assert with_equals(["w", "--init-db", "--port", "1"]) == ["w", "--init-db", "--port=1"]
    assert with_equals(["w", "--", "--port", "1"]) == ["w", "--", "--port", "1"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_serves_and_stops_on_sigterm(tmp_path):
    db = str(tmp_path / "serve.db")
    assert web("--db", db, "--init-db").returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "web.py", "--db", db, "--port", "0"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(30, proc.kill)
    watchdog.start()
    try:
        seen = []
        for line in iter(proc.stderr.readline, ""):
            seen.append(line)
            match = re.search(r"Listening on (http://127\.0\.0\.1:[0-9]+)", line)
            if match:
                break
        else:
            pytest.fail("no Listening line: " + "".join(seen))
        with urllib.request.urlopen(match.group(1) + "/") as response:
            assert response.status == 200
        proc.send_signal(signal.SIGTERM)
        rest = proc.stderr.read()
        assert proc.wait() == 0, rest
    finally:
        watchdog.cancel()
        proc.kill()
        proc.stderr.close()
    assert "Received SIGTERM, stopping server" in rest
    assert "Server stopped" in rest
