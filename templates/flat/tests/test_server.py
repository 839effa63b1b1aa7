"""Start the real server (python app.py), fetch a page, and stop it with SIGTERM."""

import os
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

from tornado.testing import bind_unused_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ServerTest(unittest.TestCase):
    def test_serves_and_stops_cleanly_on_sigterm(self):
        sock, port = bind_unused_port()
        sock.close()
        server = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "app.py"), "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            body = None
            deadline = time.monotonic() + 15
            while body is None and time.monotonic() < deadline:
                self.assertIsNone(server.poll(), "the server exited early")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                        body = r.read().decode()
                except OSError:
                    time.sleep(0.1)
            self.assertIsNotNone(body, "the server never answered")
            self.assertIn("<title>", body)
            server.send_signal(signal.SIGTERM)
            output, _ = server.communicate(timeout=10)
        finally:
            if server.poll() is None:
                server.kill()
                server.communicate()
        self.assertEqual(server.returncode, 0, output.decode(errors="replace"))
        self.assertIn("Shutting down", output.decode(errors="replace"))
