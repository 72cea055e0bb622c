"""Import cells: one checked, normalised value each (text, whole number, flag, time, choice),
or ``ValueError`` naming the column."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Times are accepted in [EARLIEST, LATEST): anything else is a typo or a unit mix-up."""
MAX_TEXT_CHARS = 256
"""An item id, label, reviewer, outcome, notifier or decision id cell (ids are ~71 chars)."""
_WHOLE = re.compile(r"[+-]?[0-9]{1,30}")


TRUE, FALSE = {"true", "1", "yes", "violating"}, {"false", "0", "no", "not_violating"}


# --- cells: one checked, normalised value each, or ValueError naming the column


def text(value: Any, column: str, *, required: bool = True) -> str | None:
    """A text cell, stripped; empty is None (``ValueError`` when ``required``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"{column} is empty")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{column} {_show(value)} is a {type(value).__name__}, expected text")
    stripped = value.strip()
    if len(stripped) > MAX_TEXT_CHARS:
        raise ValueError(
            f"{column} is {len(stripped):,} characters long, over the limit of {MAX_TEXT_CHARS}"
        )
    return stripped


def whole(value: Any, column: str, low: int, high: int) -> int:
    """A whole number in [low, high]: an integer, an integral float or decimal, or digits."""
    if isinstance(value, bool):
        raise ValueError(f"{column} {value!r} is a boolean, not a whole number")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise ValueError(f"{column} {_show(value)} is not a whole number")
    if number < low:
        raise ValueError(f"{column} {number} is negative" if low == 0 else f"{column} < {low}")
    if number > high:
        raise ValueError(f"{column} {number:,} is over the limit of {high:,} a row")
    return number


def flag(value: Any, column: str) -> bool:
    """true/false, 1/0, yes/no, violating/not_violating (any case), or a boolean."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(f"{column} {_show(value)} is not true/false")


def moment(value: Any, column: str) -> datetime:
    """An aware time in [EARLIEST, LATEST), in UTC: an ISO 8601 text with a zone, or a Parquet
    timestamp with a time zone."""
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, date):
        raise ValueError(f"{column} {value.isoformat()!r} is a date: give a time with a zone")
    elif isinstance(value, str) and value.strip():
        try:
            at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{column} {_show(value)} is not an ISO 8601 time") from exc
    elif value is None or isinstance(value, str):
        raise ValueError(f"{column} is empty")
    else:
        raise ValueError(f"{column} {_show(value)} is not a time")
    if at.utcoffset() is None:
        raise ValueError(f"{column} {_show(value)} has no time zone (write e.g. 2026-10-01T12:00Z)")
    if not EARLIEST <= at < LATEST:
        raise ValueError(
            f"{column} {_show(value)} is outside {EARLIEST:%Y-%m-%d} … {LATEST:%Y-%m-%d}"
        )
    utc = at.astimezone(UTC)  # a plain datetime, whatever subclass Arrow handed over
    return datetime(*utc.timetuple()[:6], utc.microsecond, tzinfo=UTC)


def choice(value: Any, column: str, options: Iterable[str]) -> str:
    word = (text(value, column) or "").lower()
    allowed = list(options)
    if word not in allowed:
        raise ValueError(f"{column} {_show(value)} is not one of {', '.join(allowed)}")
    return word


def _show(value: Any) -> str:
    """A cell as a message quotes it: repr, cut to 40 characters (a huge field stays short)."""
    shown = repr(value.isoformat() if isinstance(value, date) else value)
    return shown if len(shown) <= 40 else shown[:37] + "…"
