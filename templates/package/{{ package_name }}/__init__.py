"""The application package: ``make_app()`` builds it, ``main()`` serves it."""

from .version import __version__

__all__ = ["__version__"]
