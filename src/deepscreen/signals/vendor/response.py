"""Reading the vendor's answer safely: a bounded body, strict JSON, and bounded, redacted text of
the selected value for evidence and abstain reasons."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from deepscreen.signals.vendor.breaker import Clock

MAX_RAW_CHARS = 80


class CallFailed(Exception):
    """A response problem that ends the call (no retry): becomes the abstain reason."""


def read_limited(chunks: Iterator[bytes], limit: int, deadline: float, clock: Clock) -> bytes:
    """The body, refusing more than ``limit`` bytes and a body still dripping at ``deadline``
    (httpx's timeout applies per read, so a slow drip could otherwise last for ever)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) > limit:
            raise CallFailed(f"vendor response exceeds {limit} bytes")
        if clock() > deadline:
            raise httpx.ReadTimeout("response body not complete within the timeout")
    return bytes(buffer)


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_type(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", dict: "an object", list: "an array"}
    return names.get(type(value), type(value).__name__)


def bounded(value: Any, redact: Callable[[str], str]) -> Any:
    """A JSON-safe, bounded, redacted copy of the selected value for evidence."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else bounded_text(value, redact)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _truncate(redact(value))
    return bounded_text(value, redact)


def bounded_text(value: Any, redact: Callable[[str], str]) -> str:
    """Short text for ``value``; redacted before truncation, so no part of a secret shows."""
    text = json.dumps(value, default=str) if not isinstance(value, float) else repr(value)
    return _truncate(redact(text))


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_RAW_CHARS else text[: MAX_RAW_CHARS - 1] + "…"
