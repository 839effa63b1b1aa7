"""Recognising and decoding JSON request bodies."""

from __future__ import annotations

import json
from typing import Any


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


def decode(body: bytes) -> Any:
    """Decode a JSON document, raising ``InvalidJSON`` with a short, client-safe reason."""
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise InvalidJSON("the body is not UTF-8 text") from exc
    except ValueError as exc:
        raise InvalidJSON(str(exc)) from exc
