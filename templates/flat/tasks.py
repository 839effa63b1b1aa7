#!/usr/bin/env python3
"""Development tasks, with nothing to install beyond the dev dependency group.

- ``python tasks.py run [app.py options...]``: start the server (e.g. ``--port=9000 --debug``)
- ``python tasks.py test [pytest args...]``: run the test suite
- ``python tasks.py lint [ruff args...]``: ``ruff check .`` and ``ruff format --check .``
- ``python tasks.py check``: lint, then test
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))


def _call(args: list[str]) -> int:
    print("$ " + " ".join(args), flush=True)
    return subprocess.call(args, cwd=ROOT)


def run(extra: list[str]) -> int:
    args = [sys.executable, os.path.join(ROOT, "app.py"), *extra]
    print("$ " + " ".join(args), flush=True)
    os.chdir(ROOT)
    if os.name == "posix":
        # Become the server, so Ctrl-C and SIGTERM reach it directly.
        os.execv(sys.executable, args)
    return subprocess.call(args)


def test(extra: list[str]) -> int:
    return _call([sys.executable, "-m", "pytest", *extra])


def lint(extra: list[str]) -> int:
    ruff = [sys.executable, "-m", "ruff"]
    return _call([*ruff, "check", *(extra or ["."])]) or _call(
        [*ruff, "format", "--check", *(extra or ["."])]
    )


def check(extra: list[str]) -> int:
    return lint([]) or test(extra)


TASKS = {"run": run, "test": test, "lint": lint, "check": check}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tasks.py",
        description=__doc__.split("\n\n")[0],
        epilog="Arguments after the task name are passed on to it.",
    )
    parser.add_argument("task", choices=sorted(TASKS), help="what to do")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="passed on to the task")
    ns = parser.parse_args(argv)
    return TASKS[ns.task](ns.args)


if __name__ == "__main__":
    sys.exit(main())
