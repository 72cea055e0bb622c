"""The configured costs (``CostModel``, from the ``[costs]`` settings) and how money is written.
No cost is a constant: an unset input is None and every figure reading it says so."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from deepscreen.core.numbers import format_number, format_value

DEFAULT_SOURCE = "settings [costs]"
DEFAULT_KEY = "default"


def money(value: float, currency: str) -> str:
    return format_value(value, "money", currency=currency)


def _number(value: float) -> str:
    return format_number(value)


@dataclass(frozen=True)
class CostModel:
    """Cost inputs as plain values (mirrors ``settings.CostSettings``); ``None``/empty = unset."""

    currency: str = "USD"
    review_cost_per_item: float | None = None
    reviewer_cost_per_hour: float | None = None
    review_minutes_per_item: float | None = None
    monthly_volume: int | None = None
    wrongful_action_cost: Mapping[str, float] = field(default_factory=dict)
    harm_per_violating_view: Mapping[str, float] = field(default_factory=dict)
    severity_by_segment: Mapping[str, str] = field(default_factory=dict)
    viral_views_threshold: int | None = None
    brand_damage_per_viral_incident: float | None = None
    source: str = DEFAULT_SOURCE
    """Where the inputs came from, named in every assumption line."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = DEFAULT_SOURCE) -> CostModel:
        """From e.g. ``settings.costs.model_dump()``; an unknown key is an error (a typo would
        otherwise silently drop a cost)."""
        known = {f.name for f in fields(cls)} - {"source"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown cost inputs {unknown}; known: {sorted(known)}")

        def optional(name: str, kind: type[float] | type[int]) -> Any:
            value = data.get(name)
            return None if value is None else kind(value)

        return cls(
            currency=str(data.get("currency") or "USD"),
            review_cost_per_item=optional("review_cost_per_item", float),
            reviewer_cost_per_hour=optional("reviewer_cost_per_hour", float),
            review_minutes_per_item=optional("review_minutes_per_item", float),
            monthly_volume=optional("monthly_volume", int),
            wrongful_action_cost={
                str(k): float(v) for k, v in (data.get("wrongful_action_cost") or {}).items()
            },
            harm_per_violating_view={
                str(k): float(v) for k, v in (data.get("harm_per_violating_view") or {}).items()
            },
            severity_by_segment={
                str(k): str(v) for k, v in (data.get("severity_by_segment") or {}).items()
            },
            viral_views_threshold=optional("viral_views_threshold", int),
            brand_damage_per_viral_incident=optional("brand_damage_per_viral_incident", float),
            source=source,
        )

    @property
    def review_cost_per_item_effective(self) -> float | None:
        """The explicit per-item cost, else per hour × minutes / 60, else ``None``."""
        if self.review_cost_per_item is not None:
            return self.review_cost_per_item
        if self.reviewer_cost_per_hour is not None and self.review_minutes_per_item is not None:
            return self.reviewer_cost_per_hour * self.review_minutes_per_item / 60.0
        return None

    def review_cost_input(self) -> str | None:
        """The review cost per item as an input line (value, unit, where it came from)."""
        value = self.review_cost_per_item_effective
        if value is None:
            return None
        if self.review_cost_per_item is not None:
            return (
                f"review cost per item: {money(value, self.currency)} "
                f"({self.source}.review_cost_per_item)"
            )
        return (
            f"review cost per item: {money(value, self.currency)} = "
            f"{money(self.reviewer_cost_per_hour or 0.0, self.currency)}/hour × "
            f"{_number(self.review_minutes_per_item or 0.0)} min / 60 "
            f"({self.source}.reviewer_cost_per_hour, review_minutes_per_item)"
        )

    def wrongful_cost(self, action: str) -> float | None:
        """Cost of one wrongful ``action``; the ``default`` key covers actions without one."""
        if action in self.wrongful_action_cost:
            return self.wrongful_action_cost[action]
        return self.wrongful_action_cost.get(DEFAULT_KEY)

    def severity(self, segment: str | None) -> str:
        """The segment's severity name; ``default`` for segments without one."""
        return self.severity_by_segment.get(segment or "", DEFAULT_KEY)

    def harm_per_view(self, segment: str | None) -> float | None:
        """Harm of one violating view in ``segment``: the rate of its severity (``default`` only
        for segments without a severity), ``None`` when that rate is not configured."""
        return self.harm_per_violating_view.get(self.severity(segment))

    def assumptions(self) -> list[str]:
        """One line per configured input: its value, unit and where it came from."""
        c, src = self.currency, self.source
        lines: list[str] = []
        review = self.review_cost_input()
        if review is not None:
            lines.append(review)
        if self.monthly_volume is not None:
            lines.append(
                f"monthly volume: {self.monthly_volume:,} uploads/month ({src}.monthly_volume)"
            )
        for action, cost in sorted(self.wrongful_action_cost.items()):
            what = "any other action" if action == DEFAULT_KEY else action
            lines.append(
                f"wrongful-action cost, {what}: {money(cost, c)} per wrongful action "
                f"({src}.wrongful_action_cost.{action})"
            )
        for severity, harm in sorted(self.harm_per_violating_view.items()):
            what = "segments without a severity" if severity == DEFAULT_KEY else severity
            lines.append(
                f"harm per violating view, {what}: {harm:g} {c} per view "
                f"({src}.harm_per_violating_view.{severity})"
            )
        for segment, severity in sorted(self.severity_by_segment.items()):
            lines.append(f"segment {segment!r} has severity {severity} ({src}.severity_by_segment)")
        if self.viral_views_threshold is not None:
            lines.append(
                f"viral incident: a violating item with more than "
                f"{self.viral_views_threshold:,} views ({src}.viral_views_threshold)"
            )
        if self.brand_damage_per_viral_incident is not None:
            lines.append(
                f"brand damage per viral incident: "
                f"{money(self.brand_damage_per_viral_incident, c)} "
                f"({src}.brand_damage_per_viral_incident)"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "review_cost_per_item": self.review_cost_per_item,
            "reviewer_cost_per_hour": self.reviewer_cost_per_hour,
            "review_minutes_per_item": self.review_minutes_per_item,
            "review_cost_per_item_effective": self.review_cost_per_item_effective,
            "monthly_volume": self.monthly_volume,
            "wrongful_action_cost": dict(self.wrongful_action_cost),
            "harm_per_violating_view": dict(self.harm_per_violating_view),
            "severity_by_segment": dict(self.severity_by_segment),
            "viral_views_threshold": self.viral_views_threshold,
            "brand_damage_per_viral_incident": self.brand_damage_per_viral_incident,
            "source": self.source,
        }
