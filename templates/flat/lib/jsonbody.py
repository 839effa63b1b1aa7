"""Recognising and decoding JSON request bodies."""

from __future__ import annotations

import json
import math
from typing import Any

# How deeply arrays and objects may nest in a request body (json.loads itself would go on
# until the interpreter's recursion limit, and fail with RecursionError).
MAX_DEPTH = 64


class InvalidJSON(ValueError):
    """The body is not valid JSON (or not UTF-8, UTF-16 or UTF-32)."""


def is_json_content_type(content_type: str | None) -> bool:
    """True for ``application/json`` and ``application/<anything>+json``, with any parameters."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _refuse_constant(name: str) -> Any:
    # json.loads accepts NaN, Infinity and -Infinity, which JSON (RFC 8259) does not have.
    raise InvalidJSON(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    # A number too large for a float (1e999) would decode to infinity, which JSON does not have.
    value = float(text)
    if not math.isfinite(value):
        raise InvalidJSON(f"{text} is too large a number")
    return value


def _depth(value: Any) -> int:
    """How deeply ``value``'s arrays and objects nest: 0 for a number or a string, 1 for
    ``[1, 2]``, 2 for ``{"a": [1]}``."""
    depth = 0
    level = [value]
    while containers := [v for v in level if isinstance(v, (dict, list))]:
        depth += 1
        level = [c for v in containers for c in (v.values() if isinstance(v, dict) else v)]
    return depth


def decode(body: bytes) -> Any:
    """Decode a JSON document, raising ``InvalidJSON`` with a short, client-safe reason."""
    too_deep = InvalidJSON(f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except UnicodeDecodeError as exc:
        raise InvalidJSON("the body is not UTF-8 text") from exc
    except RecursionError:
        raise too_deep from None
    except InvalidJSON:
        raise
    except ValueError as exc:
        raise InvalidJSON(str(exc)) from exc
    if _depth(value) > MAX_DEPTH:
        raise too_deep
    return value
