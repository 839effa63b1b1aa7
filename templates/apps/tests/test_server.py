"""server.py as a process: logs where it listens, serves, and stops cleanly on SIGTERM."""

import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from server import with_equals

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_serves_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "server.py", "--port", "0"],
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
    assert "Received SIGTERM, stopping server" in rest
    assert "Server stopped" in rest


def test_options_may_be_written_with_a_space_or_an_equals_sign():
    argv = ["server.py", "--port", "9000", "--debug", "--address=0.0.0.0", "--logging", "warning"]
    assert with_equals(argv) == [
        "server.py",
        "--port=9000",
        "--debug",
        "--address=0.0.0.0",
        "--logging=warning",
    ]
    # Booleans never swallow the next argument; nor does anything after "--".
    assert with_equals(["s", "--debug", "--port", "1"]) == ["s", "--debug", "--port=1"]
    assert with_equals(["s", "--", "--port", "1"]) == ["s", "--", "--port", "1"]


def test_a_bad_option_is_a_clear_error():
    result = subprocess.run(
        [sys.executable, "server.py", "--nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "Unrecognized command line option: 'nope'" in result.stderr
    assert "Traceback" not in result.stderr
