"""The what-if override language: dotted paths into a scenario (``categories.news.share``),
aliases (``OVERRIDE_ALIASES``) and durations (``parse_seconds``)."""

from __future__ import annotations

import math
import numbers
import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from typing_extensions import is_typeddict

from deepscreen.simulate.scenario_provenance import _mentions_number
from deepscreen.simulate.scenario_sections import _COST_HINTS, _NUMERIC_COSTS

OVERRIDE_ALIASES: Mapping[str, str] = {
    "detection_latency": "latency.async_model_seconds",
    "reviewers": "review.reviewers",
}
"""Friendly names for what-if sweeps, mapped to the dotted path they set.

- ``detection_latency`` → ``latency.async_model_seconds``; the value is a duration: a number of
  seconds (``1.5``) or a string ``"1.5"``, ``"2s"``, ``"500ms"``, ``"2min"`` or ``"1h"``
  (``parse_seconds``);
- ``reviewers`` → ``review.reviewers`` (reviewers on shift in each staffed hour).
"""


# --------------------------------------------------------------------------- overrides


class _OverrideProblem(Exception):
    pass


_DURATION_RE = re.compile(r"^\s*(?P<n>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?P<unit>[a-z]*)\s*$")
_UNIT_SECONDS = {
    "": 1.0, "s": 1.0, "sec": 1.0, "ms": 1e-3, "min": 60.0, "m": 60.0, "h": 3600.0,
}  # fmt: skip


def parse_seconds(value: object) -> float:
    """A duration in seconds from a number (seconds) or a string ``"1.5"``, ``"2s"``,
    ``"500ms"``, ``"2min"``, ``"1h"``. Raises ``ValueError`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, numbers.Real):  # int, float, numpy scalars
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION_RE.match(value.lower())):
        unit = match.group("unit")
        if unit not in _UNIT_SECONDS:
            raise ValueError(f"unknown duration unit {unit!r} in {value!r} (use s, ms, min or h)")
        seconds = float(match.group("n")) * _UNIT_SECONDS[unit]
    else:
        raise ValueError(f"not a duration: {value!r} (a number of seconds, '2s' or '500ms')")
    if not math.isfinite(seconds):
        raise ValueError(f"not a finite duration: {value!r}")
    return seconds


def _resolve_alias(key: str, value: object) -> tuple[str, object]:
    path = OVERRIDE_ALIASES.get(key, key)
    if key == "detection_latency":
        try:
            value = parse_seconds(value)
        except ValueError as exc:
            raise _OverrideProblem(f"{key}: {exc}") from None
    return path, value


def _child_schema(annotation: Any) -> Any:
    """What an override path descends into below a field of this type: a model class, a
    TypedDict, ``("list", item)``, ``("dict", value)``, or ``None`` for a leaf."""
    origin = get_origin(annotation)
    args = [a for a in get_args(annotation) if a is not type(None)]
    if origin is Annotated:
        return _child_schema(args[0])
    if origin in (Union, types.UnionType):
        return _child_schema(args[0]) if len(args) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if is_typeddict(annotation):
        return annotation
    if origin is list:
        return ("list", _child_schema(args[0]))
    if origin is dict:
        return ("dict", _child_schema(args[1]))
    return None


def _apply_override(data: dict[str, Any], path: str, value: object, root: type[BaseModel]) -> None:
    """Set ``path`` in the dumped scenario ``data`` (a dump of model ``root``, the
    ``Scenario``) and record the override as the source."""
    parts = path.split(".")
    schema: Any = root
    node: Any = data
    owner: tuple[dict[str, Any], str] | None = None  # (sources mapping, key) of the number
    for depth, part in enumerate(parts):
        here = ".".join(parts[:depth]) or "the scenario"
        key: str | int = part
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            field = schema.model_fields.get(part)
            if field is None:
                known = sorted(schema.model_fields)
                extra = f"; aliases: {', '.join(OVERRIDE_ALIASES)}" if depth == 0 else ""
                raise _OverrideProblem(
                    f"unknown override path {path!r}: {here} has no field {part!r} "
                    f"(fields: {', '.join(known)}{extra})"
                )
            if "sources" in schema.model_fields and part != "sources":
                if _mentions_number(field.annotation):
                    owner = (node.setdefault("sources", {}), part)
            child = _child_schema(field.annotation)
        elif isinstance(schema, type) and is_typeddict(schema):  # costs
            if part not in _COST_HINTS:
                raise _OverrideProblem(
                    f"unknown override path {path!r}: costs has no key {part!r} "
                    f"(keys: {', '.join(_COST_HINTS)})"
                )
            if part in _NUMERIC_COSTS:
                owner = (data.setdefault("cost_sources", {}), part)
            child = _child_schema(_COST_HINTS[part])
        elif isinstance(schema, tuple) and schema[0] == "list":
            key = _list_index(node, part, path, here)
            child = schema[1]
        elif isinstance(schema, tuple) and schema[0] == "dict":
            child = schema[1]
        else:
            raise _OverrideProblem(f"unknown override path {path!r}: {here} is a single value")
        if depth == len(parts) - 1:
            old = node.get(key) if isinstance(node, dict) else node[key]
            node[key] = value
            if owner is not None:
                sources, name = owner
                before = sources.get(name, "none")
                sources[name] = (
                    f"override: {path} = {value!r} for a what-if; the scenario had {old!r} "
                    f"(source: {before})"
                )
            return
        nxt = node.get(key) if isinstance(node, dict) else node[key]
        if nxt is None:
            if child is None:
                raise _OverrideProblem(f"unknown override path {path!r}: {part} is a value")
            nxt = {}
            node[key] = nxt
        node, schema = nxt, child


def _list_index(node: list[Any], part: str, path: str, here: str) -> int:
    if part.isdigit() and int(part) < len(node):
        return int(part)
    for index, item in enumerate(node):
        if isinstance(item, dict) and item.get("name") == part:
            return index
    names = [item.get("name") for item in node if isinstance(item, dict)]
    raise _OverrideProblem(
        f"unknown override path {path!r}: {here} has no entry {part!r} "
        f"(names: {', '.join(map(str, names))}, or an index below {len(node)})"
    )
