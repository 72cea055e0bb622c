"""Explain a decision: every rule's outcome for given inputs, and which one won."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deepscreen.policy.bundle import Bundle
from deepscreen.policy.evaluate import (
    Outcome,
    RuleTrace,
    context_for,
    expected_signals,
    normalise_signals,
    trace_in,
)


@dataclass(frozen=True)
class Explanation:
    revision: str
    inputs: Mapping[str, Any]
    traces: tuple[RuleTrace, ...]
    winner: str | None
    action: str
    action_params: Mapping[str, str]
    error: str | None
    derived: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "winner": self.winner or "default",
            "action": self.action,
            "action_params": dict(self.action_params),
            "error": self.error,
            "derived": dict(self.derived),
            "rules": [
                {"rule": t.rule_id, "outcome": t.outcome.value, "error": t.error}
                for t in self.traces
            ],
            "inputs": dict(self.inputs),
        }


def explain(bundle: Bundle, inputs: Mapping[str, Any]) -> Explanation:
    """Evaluate every rule (not only up to the winner) and name the winning one."""
    normalised = {
        "signals": normalise_signals(inputs.get("signals") or {}, expected_signals(bundle)),
        "item": dict(inputs.get("item") or {}),
    }
    # One CEL context for the derived values and every rule: building it is the costly part.
    traces, derived = trace_in(bundle, context_for(bundle, normalised), stop_at_match=False)
    first = next((t for t in traces if t.outcome is not Outcome.NOT_MATCHED), None)
    spec, winner, error = bundle.default, None, None
    if first is not None and first.outcome is Outcome.MATCHED:
        winner = first.rule_id
        spec = next(r.rule.action for r in bundle.rules if r.rule.id == winner)
    elif first is not None:
        winner, spec, error = first.rule_id, bundle.on_error, first.error
    return Explanation(
        bundle.revision,
        normalised,
        tuple(traces),
        winner,
        spec.type.value,
        spec.params(),
        error,
        derived,
    )
