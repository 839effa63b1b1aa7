"""Terminal: run a command on a pseudo-terminal of its own, as if someone typed at it.

getpass() reads from the controlling terminal, and Ctrl-C reaches a program as SIGINT from its
terminal; a pipe does neither. POSIX only.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _take_the_terminal() -> None:
    # In the child, after start_new_session's setsid(): stdin (the pty) becomes the
    # controlling terminal, so the terminal's Ctrl-C and getpass() reach this process.
    import fcntl
    import signal
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # As in a new login session, Ctrl-C and Ctrl-\ do what they do by default: a test run in
    # the background of a script inherits SIGINT and SIGQUIT ignored, and so would the program.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


class Terminal:
    def __init__(self, argv: list[str], timeout: float = 30) -> None:
        self.argv = argv
        self.timeout = timeout
        self.output = b""
        self.seen = 0  # how much of output expect() has matched so far
        self.returncode: int | None = None

    def __enter__(self) -> Terminal:
        import pty

        self.master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k != "BLOG_ADMIN_PASSWORD"}
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=_take_the_terminal,
        )
        os.close(slave)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)

    def _read(self, deadline: float) -> bool:
        """Read what is there (waiting until ``deadline``); False at the end of the output."""
        ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return True
        try:
            data = os.read(self.master, 4096)
        except OSError:  # EIO: the program closed the terminal (it exited)
            return False
        self.output += data
        return bool(data)

    def text(self) -> str:
        return self.output.decode(errors="replace").replace("\r\n", "\n")

    def expect(self, text: str) -> None:
        """Wait until the program has printed ``text`` (after what was expected before)."""
        wanted = text.encode()
        deadline = time.monotonic() + self.timeout
        while True:
            index = self.output.find(wanted, self.seen)
            if index >= 0:
                self.seen = index + len(wanted)
                return
            if time.monotonic() > deadline or not self._read(deadline):
                raise AssertionError(f"no {text!r} in the output:\n{self.text()}")

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def finish(self) -> str:
        """Wait for the program to exit; return everything it printed."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and self._read(deadline):
            pass
        self.returncode = self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        return self.text()
