"""server.py as a process: logs where it listens, serves, and stops cleanly on SIGTERM."""

import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from tornado.options import OptionParser

from settings import define_options, parse_options

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_serves_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "server.py", "--port=0"],
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
            match = re.search(r"Listening on (http://127\.0\.0\.1:[0-9]+)$", line.strip())
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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("--port=abc", "invalid literal for int() with base 10: 'abc'"),
        ("--nope", "unknown option '--nope'"),
        ("--port 8000", "Option 'port' requires a value"),
        ("--port --debug", "Option 'port' requires a value"),
        ("8000", "unexpected argument '8000'; options take the form --name=value"),
    ],
)
def test_option_mistakes_are_one_line_and_exit_status_2(args, message):
    result = subprocess.run(
        [sys.executable, "server.py", *args.split()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_options_take_the_equals_form():
    parser = define_options(OptionParser())
    argv = ["server.py", "--port=9000", "--debug", "--address=0.0.0.0", "--shutdown_grace=2"]
    assert parse_options(argv, parser) == []
    assert (parser.port, parser.debug, parser.address) == (9000, True, "0.0.0.0")
    assert parser.shutdown_grace == 2.0


def test_option_defaults():
    parser = define_options(OptionParser())
    assert parse_options(["server.py"], parser) == []
    assert (parser.port, parser.address, parser.debug) == (8888, "127.0.0.1", False)
    assert parser.shutdown_grace == 10.0
