"""Template helpers: URLs of named UI routes, and how times and metric values are written."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import jinja2
from fastapi import Request

from deepscreen.core.access import Role


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


def when(value: datetime | None) -> str:
    """``2026-11-25 09:18:10 UTC``; an em dash for none."""
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def number(value: float | int | None, digits: int = 3) -> str:
    """Counts and large values as integers with thousands separators, shares and rates with
    ``digits`` significant digits; "n/a" for a metric that could not be computed (null)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 10 ** (digits - 1) or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def hours(value: float) -> str:
    return f"{value:g} h"
