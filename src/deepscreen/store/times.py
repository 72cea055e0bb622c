"""The stores' two rules for times: what goes in must be timezone-aware (``require_aware``), and
what a database gives back is UTC even when it comes back naive (``stored_utc``)."""

from __future__ import annotations

from datetime import UTC, datetime

from deepscreen.core.errors import InvalidInput

NAIVE = "{what} is a naive datetime {iso!r}"
"""The usual refusal; ``{what}`` names the value, ``{iso}`` is its ISO text, ``{value}`` itself."""

STORES_AWARE_ONLY = "; deepscreen stores timezone-aware times only"


def require_aware(value: datetime, what: str, refusal: str = NAIVE) -> datetime:
    """``value`` in UTC; a naive datetime is refused with ``InvalidInput(refusal)`` (formatted
    with ``what``, ``iso`` and ``value``)."""
    if value.utcoffset() is None:
        raise InvalidInput(refusal.format(what=what, iso=value.isoformat(), value=value))
    return value.astimezone(UTC)


def require_aware_datetime(value: object, what: str, refusal: str) -> datetime:
    """As ``require_aware``, and anything but a ``datetime`` is refused the same way."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        iso = value.isoformat() if isinstance(value, datetime) else repr(value)
        raise InvalidInput(refusal.format(what=what, iso=iso, value=value))
    return value.astimezone(UTC)


def stored_utc(value: datetime) -> datetime:
    """A time read back from a database, as aware UTC: a naive one is taken to be UTC (SQLite
    returns the times deepscreen wrote in UTC without their zone)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stored_utc_or_none(value: datetime | None) -> datetime | None:
    """``stored_utc`` of a nullable column."""
    return None if value is None else stored_utc(value)
