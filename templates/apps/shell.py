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
    local = namespace()
    interactive = sys.stdin.isatty()
    if interactive:
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
    else:
        banner = ""
        sys.ps1 = sys.ps2 = ""
    console = Console(local)
    console.interact(banner=banner, exitmsg="")
    if console.failed and not interactive:
        sys.exit(1)


if __name__ == "__main__":
    main()
