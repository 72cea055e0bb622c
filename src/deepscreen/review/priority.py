"""Review priority: expected harm averted per review minute,
``p × severity_weight × predicted_views ÷ handling_minutes``, and for appeals views wrongly
withheld per review minute, ``(1 − p) × predicted_views ÷ handling_minutes`` (docs/metrics.md)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deepscreen.core.decisions import Decision
from deepscreen.review.config import PriorityConfig

PRIOR = "prior"


@dataclass(frozen=True, slots=True)
class PriorityInputs:
    """The four factors of a priority and where each came from (stored with the task)."""

    probability: float
    """P(violation), 0..1."""
    probability_from: str
    """The signal that gave ``probability``, or ``"prior"``."""
    severity: float
    segment: str
    predicted_views: float
    views_observed: bool
    """True: ``predicted_views`` are the views recorded so far; False: the configured default."""
    handling_minutes: float
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def priority_inputs(
    decision: Decision, config: PriorityConfig, *, views_so_far: int | None
) -> PriorityInputs:
    """The factors for one decision; ``views_so_far`` is None when no views were recorded."""
    item = decision.inputs.get("item", {})
    probability, source = decision_probability(decision.inputs.get("signals", {}), config)
    segment = _text(item.get(config.segment_attribute))
    kind = _text(item.get("kind"))
    return PriorityInputs(
        probability=probability,
        probability_from=source,
        severity=config.severity_by_segment.get(segment, config.default_severity),
        segment=segment,
        predicted_views=(
            float(views_so_far) if views_so_far is not None else config.default_predicted_views
        ),
        views_observed=views_so_far is not None,
        handling_minutes=config.handling_minutes_by_kind.get(kind, config.default_handling_minutes),
        kind=kind,
    )


def decision_probability(signals: Mapping[str, Any], config: PriorityConfig) -> tuple[float, str]:
    """(p, source): the first configured score signal that scored a probability, else the prior."""
    for name in config.score_signals:
        entry = signals.get(name)
        if not isinstance(entry, Mapping) or entry.get("abstained", False):
            continue
        score = entry.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool):
            if math.isfinite(score) and 0.0 <= score <= 1.0:
                return float(score), name
    return config.prior_probability, PRIOR


def harm_averted_per_minute(inputs: PriorityInputs) -> float:
    """``p × severity × predicted views ÷ handling minutes``: the review queue's priority."""
    return inputs.probability * inputs.severity * inputs.predicted_views / inputs.handling_minutes


def wrongful_views_per_minute(inputs: PriorityInputs) -> float:
    """``(1 − p) × predicted views ÷ handling minutes``: the appeals queue's priority."""
    return (1.0 - inputs.probability) * inputs.predicted_views / inputs.handling_minutes


def _text(value: Any) -> str:
    return "" if value is None else str(value)
