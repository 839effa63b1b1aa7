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

    A pattern with a top-level ``|`` (``r"a|b"``) is refused with ValueError: the prefix would
    only apply to its first alternative. Write ``r"(?:a|b)"`` instead.
    """
    if not prefix.startswith("/"):
        raise ValueError(f"include() prefix must start with '/': {prefix!r}")
    if has_top_level_alternation(prefix):
        raise ValueError(f"include() prefix has a top-level '|': {prefix!r}")
    base = prefix.rstrip("/") + "/"
    urls = importlib.import_module(module).urls
    mounted = []
    for entry in urls:
        pattern, handler, kwargs, name = _unpack(entry, module)
        if name is not None and namespace:
            name = f"{namespace}:{name}"
        source = pattern if isinstance(pattern, str) else pattern.pattern
        if has_top_level_alternation(source):
            # "/blog/" + "a|b" + Tornado's "$" is "/blog/a|b$": the prefix would go with "a"
            # only (and the end anchor with "b" only).
            raise ValueError(
                f"{module}: pattern {source!r} has a top-level '|', which the prefix would not"
                f" cover; group the alternatives: '(?:{source})'"
            )
        if isinstance(pattern, str):
            mounted.append(URLSpec(base + _relative(pattern), handler, kwargs, name))
        else:
            # A compiled pattern keeps its flags, and its end anchor exactly as written.
            joined = re.compile(base + _relative(pattern.pattern), pattern.flags)
            mounted.append(URLSpec(joined, handler, kwargs, name))
    return mounted


def has_top_level_alternation(pattern: str) -> bool:
    """Whether ``pattern`` has a ``|`` outside every group and character class (``a|b``).

    ``(?:a|b)``, ``[|]`` and ``\\|`` do not count. (A ``|`` inside a comment of a
    ``re.VERBOSE`` pattern is counted too: group such patterns.)
    """
    depth = 0
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2  # an escaped character, whatever it is
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            # A "]" first in the class (after an optional "^") is a literal "]".
            if pattern.startswith("^", i + 1):
                i += 1
            if pattern.startswith("]", i + 1):
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return True
        i += 1
    return False


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
