"""Helpers shared by the whole project.

`include()` mounts an app's relative URL patterns under a prefix, in the spirit of Django's
``include()``: each app in ``apps/`` keeps its own ``urls.py`` written relative to wherever it is
mounted, and the root ``urls.py`` decides where that is.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from tornado.routing import Matcher, PathMatches, Rule
from tornado.web import URLSpec


def include(prefix: str, module: str, namespace: str | None = None) -> list[URLSpec]:
    """Return the ``urls`` list of the module named ``module``, mounted under ``prefix``.

    ``prefix`` is a URL path that starts (and, by convention, ends) with ``/``, for example
    ``"/blog/"``. Like every pattern in a Tornado route table it is a regular expression, so keep
    it literal unless you mean otherwise (a capturing group in it would be passed to every
    handler of the app).

    The module's patterns are relative: ``r""`` is the app's root (the prefix itself) and
    ``r"post/([0-9]+)"`` becomes ``/blog/post/([0-9]+)``. A leading ``^`` or ``/`` is dropped, so
    patterns written as absolute paths (``r"/post/([0-9]+)"``) mount the same way.

    Entries may be ``tornado.web.url(...)`` / ``URLSpec`` objects or plain tuples
    ``(pattern, handler[, kwargs[, name]])``, as in any Tornado route table. Handler keyword
    arguments and route names are kept, so ``reverse_url(name, *args)`` returns the prefixed path.
    With ``namespace="blog"`` the names become ``"blog:<name>"``, which keeps apps that reuse a
    name (``"index"``) apart. Nested includes work: an app's ``urls`` may itself use ``include()``.
    """
    if not prefix.startswith("/"):
        raise ValueError(f"include() prefix must start with '/': {prefix!r}")
    base = prefix.rstrip("/") + "/"
    urls = importlib.import_module(module).urls
    mounted = []
    for entry in urls:
        pattern, handler, kwargs, name = _unpack(entry, module)
        if name is not None and namespace:
            name = f"{namespace}:{name}"
        if isinstance(pattern, str):
            mounted.append(URLSpec(base + _relative(pattern), handler, kwargs, name))
        else:
            # A compiled pattern keeps its flags, and its end anchor exactly as written.
            joined = re.compile(base + _relative(pattern.pattern), pattern.flags)
            mounted.append(URLSpec(joined, handler, kwargs, name))
    return mounted


def _relative(pattern: str) -> str:
    if pattern.startswith("^"):
        pattern = pattern[1:]
    if pattern.startswith("/"):
        pattern = pattern[1:]
    return pattern


def _unpack(entry: Any, module: str) -> tuple[str | re.Pattern[str], Any, dict | None, str | None]:
    """Split one route-table entry into (pattern, handler, kwargs, name)."""
    if isinstance(entry, Rule):
        if not isinstance(entry.matcher, PathMatches):
            raise TypeError(f"{module}: include() can only mount path rules, not {entry!r}")
        return entry.matcher.regex, entry.target, entry.target_kwargs or None, entry.name
    if isinstance(entry, (tuple, list)) and 2 <= len(entry) <= 4:
        pattern, handler, kwargs, name = (*entry, None, None)[:4]
        if isinstance(pattern, PathMatches):
            pattern = pattern.regex
        elif isinstance(pattern, Matcher):
            raise TypeError(f"{module}: include() can only mount path rules, not {entry!r}")
        return pattern, handler, kwargs, name
    raise TypeError(
        f"{module}: expected url(...) or (pattern, handler[, kwargs[, name]]), got {entry!r}"
    )
