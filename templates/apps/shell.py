#!/usr/bin/env python3
"""An interactive Python shell with the application loaded: ``python shell.py``.

Preloaded names: ``app`` (from ``make_app()``), ``settings`` (``app.settings``), ``make_app``
and ``tornado``. No server is started and no port is opened. Try::

    >>> app.reverse_url("hello", "Ada")
    >>> sorted(settings)

Commands can also be piped in; prompts and banner are then left out so only your output
appears, and the exit status is 1 if any command raised an exception::

    echo 'print(app.reverse_url("home"))' | python shell.py
"""

import code
import sys

import tornado

from server import make_app
from settings import SettingsError


def namespace() -> dict:
    """The names the shell starts with."""
    app = make_app()
    return {"app": app, "settings": app.settings, "make_app": make_app, "tornado": tornado}


class Console(code.InteractiveConsole):
    """The standard console, remembering whether any command failed."""

    failed = False

    def showtraceback(self) -> None:
        self.failed = True
        super().showtraceback()

    def showsyntaxerror(self, *args, **kwargs) -> None:
        self.failed = True
        super().showsyntaxerror(*args, **kwargs)


def main() -> None:
    try:
        local = namespace()
    except SettingsError as exc:  # no COOKIE_SECRET
        sys.exit(f"error: {exc}")
    if sys.stdin.isatty():
        banner = (
            f"Python {sys.version.split()[0]}, Tornado {tornado.version}\n"
            f"Preloaded: {', '.join(local)}. Exit with Ctrl-D."
        )
        try:
            import readline
            import rlcompleter
        except ImportError:  # no readline (Windows): no tab completion
            pass
        else:
            readline.set_completer(rlcompleter.Completer(local).complete)
            readline.parse_and_bind("tab: complete")
        Console(local).interact(banner=banner, exitmsg="")
    else:
        # Piped input: run it line by line as the console would, without prompts or banner.
        console = Console(local)
        for line in sys.stdin:
            console.push(line.rstrip("\n"))
        console.push("")  # end a block left open by the last line
        if console.failed:
            sys.exit(1)


if __name__ == "__main__":
    main()
