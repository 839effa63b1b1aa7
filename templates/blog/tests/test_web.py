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
from tornado.options import OptionParser

from app.objects import dbobject
from app.objects.user import User, check_login
from tests.terminal import Terminal
from web import PASSWORD_ENV, define_options, parse_options, read_password, trusted_origins

ROOT = Path(__file__).resolve().parent.parent


def web(*args: str, password: str | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    env["COOKIE_SECRET"] = "test-secret"  # the project's .env is not in every checkout
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
    result = web(f"--db={db}", "--init-db")
    assert result.returncode == 0, result.stderr
    assert dbobject.has_schema(db)

    result = web(f"--db={db}", "--create-user=admin", password="s3cret-password")
    assert result.returncode == 0, result.stderr
    assert "Created the admin user 'admin'" in result.stdout
    assert "s3cret-password" not in result.stdout + result.stderr
    with dbobject.connect(db) as conn:
        user = User.by_name(conn, "admin")
    assert check_login(user, "s3cret-password")
    assert "s3cret-password" not in user.password_hash

    again = web(f"--db={db}", "--init-db")  # idempotent: the user survives
    assert again.returncode == 0, again.stderr
    with dbobject.connect(db) as conn:
        assert User.by_name(conn, "admin") is not None


def test_init_db_and_create_user_in_one_go(tmp_path):
    db = str(tmp_path / "cli.db")
    result = web(f"--db={db}", "--init-db", "--create-user=ada", password="lovelace-1815")
    assert result.returncode == 0, result.stderr
    with dbobject.connect(db) as conn:
        assert check_login(User.by_name(conn, "ada"), "lovelace-1815")


def test_create_user_errors_are_clear(tmp_path):
    db = str(tmp_path / "cli.db")
    result = web(f"--db={db}", "--create-user=admin", password="s3cret-password")
    assert result.returncode == 1
    assert "--init-db" in result.stderr
    assert not os.path.exists(db)

    web(f"--db={db}", "--init-db")
    no_password = web(f"--db={db}", "--create-user=admin")  # stdin is not a terminal
    assert no_password.returncode == 1
    assert PASSWORD_ENV in no_password.stderr

    short = web(f"--db={db}", "--create-user=admin", password="short")
    assert short.returncode == 1
    assert "at least 8 characters" in short.stderr

    bad_name = web(f"--db={db}", "--create-user=no spaces", password="s3cret-password")
    assert bad_name.returncode == 1
    assert "user name is 1 to 40" in bad_name.stderr

    web(f"--db={db}", "--create-user=admin", password="s3cret-password")
    duplicate = web(f"--db={db}", "--create-user=ADMIN", password="other-password")
    assert duplicate.returncode == 1
    assert "already a user" in duplicate.stderr
    for result in (no_password, short, bad_name, duplicate):
        assert "Traceback" not in result.stderr


def test_server_refuses_to_start_without_schema(tmp_path):
    result = web(f"--db={tmp_path / 'none.db'}", "--port=0")
    assert result.returncode == 1
    assert "run `python web.py --init-db` first" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("--port=abc", "invalid literal for int() with base 10: 'abc'"),
        ("--nope", "unknown option '--nope'"),
        ("--port 8000", "Option 'port' requires a value"),
        ("--port --debug", "Option 'port' requires a value"),
        ("--create-user ada", "Option 'create-user' requires a value"),
        ("--init-db 8000", "unexpected argument '8000'; options take the form --name=value"),
    ],
)
def test_option_mistakes_are_one_line_and_exit_status_2(args, message):
    result = web(*args.split())
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_options_take_the_equals_form():
    parser = define_options(OptionParser())
    argv = ["web.py", "--port=9000", "--debug", "--db=x.db", "--xheaders", "--shutdown_grace=3"]
    assert parse_options([*argv, "--trusted_origins=https://a.example"], parser) == []
    assert (parser.port, parser.debug, parser.db, parser.xheaders) == (9000, True, "x.db", True)
    assert parser.shutdown_grace == 3.0
    assert parser.trusted_origins == "https://a.example"
    parser = define_options(OptionParser())
    assert parse_options(["web.py", "--create-user=ada", "--init-db"], parser) == []
    assert (parser.create_user, parser.init_db, parser.xheaders) == ("ada", True, False)
    assert parser.shutdown_grace == 10.0


def test_the_prompt_asks_again_after_a_short_password(monkeypatch, capsys):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter(["short", "long enough 1", "long enough 2", "long enough 3", "long enough 3"])
    prompts = []

    def ask(prompt):
        prompts.append(prompt)
        return next(answers)

    assert read_password("ada", ask) == "long enough 3"
    assert prompts == ["Password for ada: ", "Password for ada: ", "Again: "] + [
        "Password for ada: ",
        "Again: ",
    ]
    err = capsys.readouterr().err
    assert "at least 8 characters long. Try again." in err
    assert "The passwords differ. Try again." in err


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX terminal")
def test_ctrl_c_at_the_prompt_is_one_line_and_exit(tmp_path):
    db = str(tmp_path / "tty.db")
    assert web(f"--db={db}", "--init-db").returncode == 0
    with Terminal([sys.executable, "web.py", f"--db={db}", "--create-user=ada"]) as tty:
        tty.expect("Password for ada: ")
        tty.send(b"short\r")
        tty.expect("at least 8 characters long. Try again.")
        tty.expect("Password for ada: ")
        tty.send(b"\x03")  # Ctrl-C: the terminal sends SIGINT
        output = tty.finish()
    assert tty.returncode == 130, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[-1] == "Cancelled: no user was created.", output
    with dbobject.connect(db) as conn:
        assert User.by_name(conn, "ada") is None


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX terminal")
def test_the_prompt_creates_the_user(tmp_path):
    db = str(tmp_path / "tty.db")
    assert web(f"--db={db}", "--init-db").returncode == 0
    with Terminal([sys.executable, "web.py", f"--db={db}", "--create-user=ada"]) as tty:
        tty.expect("Password for ada: ")
        tty.send(b"lovelace-1815\r")
        tty.expect("Again: ")
        tty.send(b"lovelace-1815\r")
        output = tty.finish()
    assert tty.returncode == 0, output
    assert "Created the admin user 'ada'" in output
    assert "lovelace-1815" not in output  # no echo
    with dbobject.connect(db) as conn:
        assert check_login(User.by_name(conn, "ada"), "lovelace-1815")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_serves_and_stops_on_sigterm(tmp_path):
    db = str(tmp_path / "serve.db")
    assert web(f"--db={db}", "--init-db").returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "web.py", f"--db={db}", "--port=0"],
        cwd=ROOT,
        env={**os.environ, "COOKIE_SECRET": "test-secret"},
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
    assert "Received SIGTERM" in rest
    assert "Shutting down" in rest
    assert "Stopped" in rest
    assert "Traceback" not in "".join(seen) + rest


def test_trusted_origins_come_from_the_option_else_the_environment():
    env = {"TRUSTED_ORIGINS": "https://a.example, https://b.example/"}
    assert trusted_origins("", env) == ["https://a.example", "https://b.example"]
    assert trusted_origins("https://c.example:8443", env) == ["https://c.example:8443"]
    assert trusted_origins("", {}) == []


def test_trusted_origins_are_checked_and_lowercased():
    assert trusted_origins("HTTPS://App.Example.com/", {}) == ["https://app.example.com"]
    for bad in ("app.example.com", "https://app.example.com/path", "ftp://x.example"):
        with pytest.raises(ValueError, match="is not scheme://host"):
            trusted_origins(bad, {})


def test_a_bad_trusted_origin_is_one_line_and_exit_status_2(tmp_path):
    db = str(tmp_path / "o.db")
    dbobject.create_schema(db)
    result = web(f"--db={db}", "--port=0", "--trusted_origins=app.example.com")
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "error: --trusted_origins: trusted origin 'app.example.com' is not scheme://host[:port]\n"
    )
