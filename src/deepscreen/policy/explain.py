"""Explain a decision: every rule's outcome for given inputs, and which one won."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

from deepscreen.core.decisions import Decision
from deepscreen.policy.bundle import Bundle
from deepscreen.policy.evaluate import (
    DecisionStamp,
    Outcome,
    RuleTrace,
    context_for,
    decision_from,
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
    return _explanation(bundle, normalised, traces, derived)


def evaluate_explained(
    bundle: Bundle,
    inputs: Mapping[str, Any],
    **stamp: Unpack[DecisionStamp],
) -> tuple[Decision, Explanation]:
    """``evaluate`` and its explanation from one evaluation: every rule traced in one CEL
    context, the decision taken from the traces up to the first rule that did not 'not match'."""
    traces, derived = trace_in(bundle, context_for(bundle, inputs), stop_at_match=False)
    deciding = next(
        (i + 1 for i, t in enumerate(traces) if t.outcome is not Outcome.NOT_MATCHED), 0
    )
    decision = decision_from(
        bundle,
        traces[:deciding],
        inputs,
        **stamp,
    )
    return decision, _explanation(bundle, decision.inputs, traces, derived)


def _explanation(
    bundle: Bundle,
    inputs: Mapping[str, Any],
    traces: Sequence[RuleTrace],
    derived: Mapping[str, Any],
) -> Explanation:
    first = next((t for t in traces if t.outcome is not Outcome.NOT_MATCHED), None)
    spec, winner, error = bundle.default, None, None
    if first is not None and first.outcome is Outcome.MATCHED:
        winner = first.rule_id
        spec = next(r.rule.action for r in bundle.rules if r.rule.id == winner)
    elif first is not None:
        winner, spec, error = first.rule_id, bundle.on_error, first.error
    return Explanation(
        bundle.revision,
        inputs,
        tuple(traces),
        winner,
        spec.type.value,
        spec.params(),
        error,
        derived,
    )
