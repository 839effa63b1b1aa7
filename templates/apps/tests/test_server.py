"""server.py as a process: logs where it listens, serves, and stops cleanly on SIGTERM."""

import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

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
    assert "Received SIGTERM, stopping server" in rest
    assert "Server stopped" in rest
