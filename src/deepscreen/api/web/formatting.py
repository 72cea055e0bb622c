"""Template helpers: URLs of named UI routes, and how times and metric values are written (a time
is a ``<time>`` tag in UTC words that ``static/ui.js`` rewrites in the browser's zone:
docs/internals/api.md)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import jinja2
from fastapi import Request
from markupsafe import Markup

from deepscreen.core.access import Role
from deepscreen.core.numbers import format_value


def helpers(request: Request) -> dict[str, Any]:
    """Jinja context processor: ``url('task_page', task_id=...)`` gives a path under the app's
    root path (no host, so it works behind a proxy)."""

    def url(route: str, /, **params: Any) -> str:
        return request.url_for(route, **params).path

    return {"url": url, "Role": Role}


def install_filters(env: jinja2.Environment) -> None:
    env.filters["when"] = when
    env.filters["number"] = number
    env.filters["hours"] = hours
    env.filters["timetag"] = timetag
    env.filters["duration"] = duration
    env.filters["percent"] = percent


def when(value: datetime | None) -> str:
    """``2026-11-25 09:18:10 UTC``; an em dash for none."""
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def words(value: datetime) -> str:
    """``Mon 7 Dec 2026, 14:05 UTC``."""
    at = value.astimezone(UTC)
    return f"{at:%a} {at.day} {at:%b %Y, %H:%M} UTC"


def timetag(value: datetime | None, relative: bool = True) -> Markup | str:
    """``<time datetime="2026-12-07T14:05:00+00:00" title="…">Mon 7 Dec 2026, 14:05 UTC</time>``
    (converted to the reader's zone by ui.js, with how far away it is unless ``relative`` is
    False); an em dash for none."""
    if value is None:
        return "—"
    at = value.astimezone(UTC)
    return Markup('<time datetime="{}" title="{}" data-local="{}">{}</time>').format(
        at.isoformat(), when(at), "relative" if relative else "at", words(at)
    )


def duration(value: timedelta | float | None) -> str:
    """A span for people, two units at most: ``45 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``."""
    if value is None:
        return "—"
    seconds = int(abs(value.total_seconds() if isinstance(value, timedelta) else value))
    days, rest = divmod(seconds, 86400)
    hours_, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours_} h" if hours_ else f"{days} d"
    if hours_:
        return f"{hours_} h {minutes} min" if minutes else f"{hours_} h"
    return f"{minutes} min" if minutes else f"{seconds} s"


def number(value: float | int | None, digits: int = 3) -> str:
    """Counts and large values as integers with thousands separators, shares and rates with
    ``digits`` significant digits; "n/a" for a metric that could not be computed (null)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 10 ** (digits - 1) or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def percent(value: float | None) -> str:
    """A proportion in [0, 1] as ``core.numbers`` writes shares: ``87.5%``; n/a for none."""
    return format_value(value, "share", missing="n/a")


def hours(value: float) -> str:
    return f"{value:g} h"
