"""Provenance checks of a scenario: every number carries a one-line source
(``'<reference>: <text>'`` or a reasoned assumption); ``_Sourced`` sections enforce it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

_ASSUMPTION_MIN_WORDS = 5
_SOURCE_FORMAT = (
    "a one-line '<reference>: <text>' such as \"docs/metrics.md, 'Published figures': …\", "
    "\"docs/signals.md, 'Learned detector': …\", "
    f"or 'assumption: <why, in at least {_ASSUMPTION_MIN_WORDS} words>'"
)
_SOURCE_RE = re.compile(r"^(?P<ref>[^:\n]*[^:\s][^:\n]*):(?P<text>.*)$")
_NAME_RE = r"^[a-z][a-z0-9_]*$"


# --------------------------------------------------------------------------- provenance


def _mentions_number(annotation: Any) -> bool:
    """Whether a field's type holds numbers (int/float, lists of them, numeric sub-models)."""
    if annotation is bool:
        return False
    if annotation is int or annotation is float:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return any(_mentions_number(f.annotation) for f in annotation.model_fields.values())
    return any(_mentions_number(arg) for arg in get_args(annotation) if not isinstance(arg, str))


def _source_problem(field: str, source: object) -> str | None:
    """Why ``source`` is not an acceptable one-line source for ``field``, or ``None``."""
    if not isinstance(source, str) or not source.strip():
        return f"source of {field} is empty; give {_SOURCE_FORMAT}"
    if "\n" in source.strip():
        return f"source of {field} must be one line"
    match = _SOURCE_RE.match(source.strip())
    text = match.group("text").strip() if match else ""
    if match is None or not text:
        return f"source of {field} ({source!r}) is not {_SOURCE_FORMAT}"
    if match.group("ref").strip().lower() == "assumption":
        if len(text.split()) < _ASSUMPTION_MIN_WORDS:
            return (
                f"source of {field} is an assumption without its reasoning ({source!r}); "
                f"say why, in at least {_ASSUMPTION_MIN_WORDS} words"
            )
    return None


def _provenance_problems(
    sources: Mapping[str, str], numeric: Mapping[str, bool], where: str
) -> list[str]:
    """Problems of ``sources`` against the numeric fields (name → value is set) of a section."""
    problems = []
    missing = [name for name, is_set in numeric.items() if is_set and name not in sources]
    if missing:
        problems.append(
            f"no source for {', '.join(missing)}: every number needs provenance in "
            f"{where} ({_SOURCE_FORMAT})"
        )
    unknown = sorted(set(sources) - set(numeric))
    if unknown:
        problems.append(
            f"{where} names {', '.join(map(repr, unknown))}, not numeric fields here "
            f"(numeric fields: {', '.join(numeric) or 'none'})"
        )
    for name in numeric:
        if name in sources and (problem := _source_problem(name, sources[name])):
            problems.append(problem)
    return problems


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _Sourced(_Model):
    """A section whose every numeric field must have an entry in ``sources``."""

    sources: dict[str, str] = Field(
        default_factory=dict,
        description="Provenance: numeric field name → one-line source ('docs/metrics.md, …: …', "
        "'docs/signals.md, …: …' or 'assumption: <why>'). Every numeric field needs one.",
    )

    @model_validator(mode="after")
    def _every_number_has_a_source(self) -> Self:
        numeric = {
            name: getattr(self, name) is not None
            for name, field in type(self).model_fields.items()
            if name != "sources" and _mentions_number(field.annotation)
        }
        problems = _provenance_problems(self.sources, numeric, "sources")
        if problems:
            raise ValueError("; ".join(problems))
        return self
