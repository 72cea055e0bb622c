"""Pure policy evaluation: inputs + bundle → Decision. No I/O, no clock, no globals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NotRequired, TypedDict, Unpack

from deepscreen.core.decisions import Decision
from deepscreen.core.events import ItemIngested, SignalsComputed
from deepscreen.core.media import MediaItem
from deepscreen.core.signals import SignalResult
from deepscreen.policy.bundle import Bundle, CompiledRule
from deepscreen.policy.cel_runtime import cel


class Outcome(StrEnum):
    MATCHED = "matched"
    NOT_MATCHED = "not_matched"
    ERROR = "error"


class DecisionStamp(TypedDict):
    """What identifies a decision, given by keyword: ``evaluate(bundle, inputs, **stamp)``."""

    item_id: str
    decision_id: str
    decided_at: datetime
    detector_versions: NotRequired[Mapping[str, str] | None]


@dataclass(frozen=True, slots=True)
class RuleTrace:
    rule_id: str
    outcome: Outcome
    error: str | None = None


def signal_inputs(results: Sequence[SignalResult]) -> dict[str, dict[str, Any]]:
    """The ``signals`` map a policy sees: ``signals.<detector>.{score, abstained, reason, ...}``.

    ``score`` is present only when the detector scored, so rules guard with
    ``!signals.x.abstained && signals.x.score >= ...``.
    """
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        entry: dict[str, Any] = {
            "abstained": r.abstained,
            "reason": r.abstain_reason or "",
            "version": r.version,
            "evidence": dict(r.evidence),
        }
        if r.score is not None:
            entry["score"] = r.score
        out[r.detector] = entry
    return out


def item_inputs(item: MediaItem | ItemIngested) -> dict[str, Any]:
    """The ``item`` map a policy sees: fixed media facts plus the caller's attributes."""
    facts: dict[str, Any] = {
        "id": item.item_id,
        "kind": item.kind.value,
        "mime": item.mime,
        "width": item.width,
        "height": item.height,
        "size_bytes": item.size_bytes,
    }
    return {**dict(item.attributes), **facts}


def stored_inputs(signals: SignalsComputed, item: ItemIngested) -> dict[str, Any]:
    """The inputs ``decide`` built, rebuilt from the stored events: ``signal_inputs`` of the
    stored results and ``item_inputs`` of the ingested item."""
    return {"signals": signal_inputs(signals.results), "item": item_inputs(item)}


NOT_GIVEN = "not given in the input"


def normalise_signals(signals: Mapping[str, Any], expected: Iterable[str] = ()) -> dict[str, Any]:
    """Complete hand-written inputs (policy tests, explain) the way production inputs are.

    ``abstained`` follows from whether a score is given, and every ``expected`` detector that
    is missing is added as abstained — in production every enabled detector reports.
    """
    out: dict[str, Any] = {}
    for name, value in signals.items():
        if isinstance(value, Mapping):
            entry = dict(value)
            entry.setdefault("abstained", "score" not in entry)
            entry.setdefault("reason", "")
            entry.setdefault("evidence", {})
            out[name] = entry
        else:
            out[name] = value
    for name in expected:
        out.setdefault(name, {"abstained": True, "reason": NOT_GIVEN, "evidence": {}})
    return out


_EVAL_ERRORS = (Exception,)
"""Whatever the CEL engine raises while evaluating one expression is that expression's error:
division or modulo by zero (``ZeroDivisionError``), an index out of range (``IndexError``), a
missing key, a type mismatch, an overflow, a recursion or memory limit. Evaluation is pure, so
nothing else can fail here; the decision takes the bundle's ``on_error`` action."""


def derive(bundle: Bundle, context: cel.Context) -> tuple[dict[str, Any], RuleTrace | None]:
    """Evaluate the bundle's ``derived`` expressions in order into ``context``'s ``derived``
    variable; stop at the first error."""
    values: dict[str, Any] = {}
    for d in bundle.derived:
        context.add_variable("derived", values)
        try:
            values[d.name] = d.program.execute(context)
        except _EVAL_ERRORS as exc:
            return values, RuleTrace(
                f"derived.{d.name}", Outcome.ERROR, f"{type(exc).__name__}: {exc}"
            )
    context.add_variable("derived", values)
    return values, None


NOT_ENABLED: Mapping[str, Any] = {
    "abstained": True,
    "reason": "detector not enabled",
    "evidence": {},
}
"""An optional signal's value when its detector is not enabled."""


def context_for(bundle: Bundle, inputs: Mapping[str, Any]) -> cel.Context:
    """The CEL context for one item. Converting Python values to CEL is the costly part of
    evaluation, so it happens once per item and every program then reuses the context."""
    signals = inputs.get("signals", {})
    missing = [name for name in sorted(bundle.optional_signals) if name not in signals]
    if missing:
        signals = {**signals, **{name: dict(NOT_ENABLED) for name in missing}}
    return cel.Context(
        {
            "signals": signals,
            "item": inputs.get("item", {}),
            "params": dict(bundle.params),
            "derived": {},
        }
    )


def trace_rules(
    bundle: Bundle, inputs: Mapping[str, Any], *, stop_at_match: bool = True
) -> list[RuleTrace]:
    """Evaluate derived values, then rules in order; with ``stop_at_match`` stop at the first
    match or error. A derived value that errors ends the trace with that error."""
    return trace_in(bundle, context_for(bundle, inputs), stop_at_match=stop_at_match)[0]


def trace_in(
    bundle: Bundle, context: cel.Context, *, stop_at_match: bool = True
) -> tuple[list[RuleTrace], dict[str, Any]]:
    """``trace_rules`` in a context made by ``context_for``, and the derived values computed
    on the way (those before the failing one, if one fails)."""
    derived, failed = derive(bundle, context)
    if failed is not None:
        return [failed], derived
    traces: list[RuleTrace] = []
    for compiled in bundle.rules:
        trace = _run(compiled, context)
        traces.append(trace)
        if stop_at_match and trace.outcome is not Outcome.NOT_MATCHED:
            break
    return traces, derived


def _run(compiled: CompiledRule, context: cel.Context) -> RuleTrace:
    rule_id = compiled.rule.id
    try:
        value = compiled.program.execute(context)
    except _EVAL_ERRORS as exc:
        return RuleTrace(rule_id, Outcome.ERROR, f"{type(exc).__name__}: {exc}")
    if not isinstance(value, bool):
        return RuleTrace(rule_id, Outcome.ERROR, f"'when' gave {value!r}, not a bool")
    return RuleTrace(rule_id, Outcome.MATCHED if value else Outcome.NOT_MATCHED)


def evaluate(
    bundle: Bundle,
    inputs: Mapping[str, Any],
    **stamp: Unpack[DecisionStamp],
) -> Decision:
    """First matching rule wins; none → the default action.

    A rule (or derived value) that errors before any rule matched cannot be skipped safely (it
    might have matched), so the decision takes the bundle's ``on_error`` action (review by
    default), names what failed in ``rule_id`` (``derived.<name>`` for a derived value) and
    records the error.
    """
    return decision_from(
        bundle,
        trace_rules(bundle, inputs),
        inputs,
        **stamp,
    )


def decision_from(
    bundle: Bundle,
    traces: Sequence[RuleTrace],
    inputs: Mapping[str, Any],
    **stamp: Unpack[DecisionStamp],
) -> Decision:
    """The decision ``traces`` (in rule order, up to the first rule that did not 'not match')
    lead to: that rule's action, ``on_error`` for an error, else the default."""
    last = traces[-1] if traces else None
    rule_id: str | None = None
    spec = bundle.default
    errors: tuple[str, ...] = ()
    if last is not None and last.outcome is Outcome.MATCHED:
        rule_id, spec = last.rule_id, bundle.rules[len(traces) - 1].rule.action
    elif last is not None and last.outcome is Outcome.ERROR:
        rule_id, spec = last.rule_id, bundle.on_error
        errors = (f"rule {last.rule_id}: {last.error}",)
    return Decision(
        decision_id=stamp["decision_id"],
        item_id=stamp["item_id"],
        policy_revision=bundle.revision,
        rule_id=rule_id,
        action=spec.type,
        decided_at=stamp["decided_at"],
        action_params=spec.params(),
        inputs={"signals": dict(inputs.get("signals", {})), "item": dict(inputs.get("item", {}))},
        detector_versions=dict(stamp.get("detector_versions") or {}),
        errors=errors,
    )


def expected_signals(bundle: Bundle) -> frozenset[str]:
    """The detectors a hand-written input should cover: the enabled ones, else those read."""
    return bundle.signal_names or bundle.referenced_signals
