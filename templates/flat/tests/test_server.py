"""Start the real server (python app.py) on port 0, fetch a page, and stop it with SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import unittest
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LISTENING = re.compile(r"Listening on (http://127\.0\.0\.1:[0-9]+)")


def start_server(*args: str, env: dict | None = None) -> subprocess.Popen:
    """``python app.py --port=0 ARGS...``: the server picks a free port and logs it."""
    return subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "app.py"), "--port=0", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for_line(stream, pattern: re.Pattern, seen: list[str]) -> re.Match:
    """Read ``stream`` line by line until one matches ``pattern``; keep the lines in ``seen``."""
    for line in iter(stream.readline, ""):
        seen.append(line)
        match = pattern.search(line)
        if match:
            return match
    raise AssertionError(f"no line matching {pattern.pattern!r} in:\n{''.join(seen)}")


def stop(proc: subprocess.Popen) -> str:
    """SIGTERM the server; return the rest of its stderr once it has exited."""
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    proc.wait(timeout=10)
    return rest


@unittest.skipIf(sys.platform == "win32", "POSIX signals")
class ServerTest(unittest.TestCase):
    def setUp(self):
        self.procs = []

    def tearDown(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stderr.close()

    def start(self, *args, env=None):
        proc = start_server(*args, env=env)
        self.procs.append(proc)
        watchdog = threading.Timer(30, proc.kill)
        watchdog.start()
        self.addCleanup(watchdog.cancel)
        return proc

    def test_serves_and_stops_cleanly_on_sigterm(self):
        proc = self.start()
        seen = []
        base = wait_for_line(proc.stderr, LISTENING, seen).group(1)
        with urllib.request.urlopen(base + "/", timeout=10) as response:
            self.assertEqual(response.status, 200)
            self.assertIn("<title>", response.read().decode())
        with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
            self.assertEqual(response.read(), b'{"status": "ok"}')
        rest = stop(proc)
        self.assertEqual(proc.returncode, 0, rest)
        self.assertIn("Shutting down", rest)
        self.assertIn("Stopped", rest)
        self.assertNotIn("Traceback", "".join(seen) + rest)

    def test_production_refuses_to_start_without_cookie_secret(self):
        env = {k: v for k, v in os.environ.items() if k != "COOKIE_SECRET"}
        env["DEPLOYMENT"] = "production"
        proc = self.start(env=env)  # production never reads .env
        stderr = proc.stderr.read()
        self.assertEqual(proc.wait(timeout=10), 2, stderr)
        self.assertEqual(len(stderr.splitlines()), 1, stderr)
        self.assertTrue(stderr.startswith("error: COOKIE_SECRET is not set"), stderr)
