"""Impact statements: sentences generated from metric rows, each bound to the rows it states and
worded so as never to overclaim (a change only when its 95% interval excludes zero; the rules:
docs/internals/report.md). This module only words numbers it is given."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from deepscreen.core.numbers import NOISE, format_number, format_value

Source = Literal["measured", "replay", "simulated"]
Unit = Literal["percent", "per10k", "count", "money", "views", "hours"]
NO_CHANGE = "no significant change"


@dataclass(frozen=True)
class Statement:
    text: str
    source: Source
    rows: tuple[Mapping[str, Any], ...]
    """The rows every number in ``text`` comes from, as given."""

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "rows": [dict(r) for r in self.rows]}


@dataclass(frozen=True)
class Phrase:
    noun: str
    unit: Unit


COMPARISON_PHRASES: Mapping[str, Phrase] = {
    "violating_unactioned_per_10k": Phrase("violating items left unactioned", "per10k"),
    "recall_any_action": Phrase("recall (violating items actioned)", "percent"),
    "false_positive_rate_any_action": Phrase("the false-positive rate", "percent"),
    "precision_any_action": Phrase("precision", "percent"),
    "sent_to_review": Phrase("items sent to human review", "count"),
    "views_before_action_mean_violating": Phrase(
        "mean views before action on violating items", "views"
    ),
    "violating_exposure": Phrase("views of violating items before action", "views"),
    "review_cost": Phrase("review cost", "money"),
    "wrongful_action_cost": Phrase("the cost of wrongful actions", "money"),
    "total_cost": Phrase("total cost (review, wrongful actions and harm)", "money"),
}
"""Comparison metrics that get a statement, in order, with how to word them."""

SIMULATION_PHRASES: Mapping[str, Phrase] = {
    "violating_views_realised": Phrase("views of violating items", "views"),
    "viral_deepfakes_stopped": Phrase("viral deepfakes stopped", "count"),
    "recall_any_action": Phrase("recall (violating items actioned)", "percent"),
    "false_positive_rate_any_action": Phrase("the false-positive rate", "percent"),
    "sent_to_review": Phrase("items sent to human review", "count"),
    "time_to_action_median_hours": Phrase("the median time to action", "hours"),
    "review_backlog_final": Phrase("the review backlog at the end of the run", "count"),
}


def significant(low: float | None, high: float | None) -> bool | None:
    """True when the interval excludes zero, False when it covers it, None without one. A bound
    within rounding noise of zero (``core.numbers.NOISE``) is zero: it prints as 0."""
    if low is None or high is None:
        return None
    return low > NOISE or high < -NOISE


def fmt(value: float, unit: Unit, currency: str = "") -> str:
    """A number as the statements print it, by the one formatter (``core.numbers``; the rows
    keep the full precision): a share as a percentage, money with its currency, a duration
    always in hours (``0.03467 h``, never minutes), noise as 0."""
    if unit == "percent":
        return format_value(value, "share")
    if unit == "per10k":
        return f"{format_number(value)} per 10,000"
    if unit == "money":
        return format_value(value, "money", currency=currency)
    if unit == "hours":
        return f"{format_number(value)} h"
    return format_number(value)


def _delta(value: float, unit: Unit, currency: str) -> str:
    if abs(value) < NOISE:
        return "0"
    text = fmt(abs(value), unit, currency)
    if unit == "percent":
        text = text.replace("%", " percentage points")
    return f"{'−' if value < 0 else '+'}{text}"


def _interval(low: float, high: float, unit: Unit, currency: str) -> str:
    def one(v: float) -> str:
        return _delta(v, unit, currency)

    return f"95% CI {one(low)} to {one(high)}"


def _prefix(synthetic: bool, simulated: str | None = None) -> str:
    if simulated is not None:
        return f"Simulated ({simulated}): "
    return "On synthetic demo data, " if synthetic else ""


def _sentence(prefix: str, body: str) -> str:
    return prefix + (body[0].lower() + body[1:] if prefix.endswith(", ") else body)


# --------------------------------------------------------------------------- comparisons


def comparison_statements(
    comparison: Mapping[str, Any], *, synthetic: bool, currency: str = ""
) -> list[Statement]:
    """One statement per comparison metric of ``COMPARISON_PHRASES`` that has a delta and an
    interval. The first statement (the headline) also states what happened to the
    false-positive rate, and binds its row."""
    rows = {r["metric"]: r for r in comparison.get("metrics", [])}
    candidate = comparison.get("candidate_revision", "candidate")
    label = comparison.get("candidate_name")
    name = f"{label} ({candidate})" if label else candidate
    baseline = comparison.get("baseline_revision", "baseline")
    items = comparison.get("items")
    prefix = _prefix(synthetic)
    out: list[Statement] = []
    for metric, phrase in COMPARISON_PHRASES.items():
        row = rows.get(metric)
        if row is None or not _complete(row, ("baseline", "candidate", "delta")):
            continue
        sig = significant(row["delta_ci_low"], row["delta_ci_high"])
        if sig is None or _nothing_to_say(row["delta"], row["delta_ci_low"], row["delta_ci_high"]):
            continue
        body = change_body(f"Policy {name}", row, phrase, sig, currency)
        bound: list[Mapping[str, Any]] = [row]
        fpr = rows.get("false_positive_rate_any_action")
        if not out and metric != "false_positive_rate_any_action" and fpr is not None:
            clause = _fpr_clause(fpr)
            if clause:
                body += clause
                bound.append(fpr)
        basis = f" (replay of {candidate} against {baseline}"
        basis += f" on {items:,} stored items)" if isinstance(items, int) else ")"
        out.append(Statement(_sentence(prefix, body) + basis + ".", "replay", tuple(bound)))
    return out


def _nothing_to_say(delta: float, low: float, high: float) -> bool:
    """No difference at all, with certainty (e.g. a metric both policies leave at zero)."""
    return all(abs(v) < NOISE for v in (delta, low, high))


def _complete(row: Mapping[str, Any], keys: Iterable[str]) -> bool:
    return all(row.get(k) is not None for k in keys)


def change_body(
    subject: str, row: Mapping[str, Any], phrase: Phrase, sig: bool, currency: str
) -> str:
    low, high = (
        row.get("delta_ci_low", row.get("delta_low")),
        row.get("delta_ci_high", row.get("delta_high")),
    )
    before = fmt(row["baseline"], phrase.unit, currency)
    after = fmt(row["candidate"], phrase.unit, currency)
    interval = _interval(low, high, phrase.unit, currency)
    if not sig:
        return (
            f"{subject} made {NO_CHANGE} to {phrase.noun}: {before} before, {after} after "
            f"(change {_delta(row['delta'], phrase.unit, currency)}, {interval}, "
            "which includes zero)"
        )
    verb = "cut" if row["delta"] < 0 else "raised"
    return (
        f"{subject} {verb} {phrase.noun} from {before} to {after} "
        f"(change {_delta(row['delta'], phrase.unit, currency)}, {interval})"
    )


def _fpr_clause(fpr: Mapping[str, Any]) -> str:
    if not _complete(fpr, ("baseline", "candidate", "delta")):
        return ""
    sig = significant(fpr["delta_ci_low"], fpr["delta_ci_high"])
    if sig is None:
        return ""
    before, after = fmt(fpr["baseline"], "percent"), fmt(fpr["candidate"], "percent")
    interval = _interval(fpr["delta_ci_low"], fpr["delta_ci_high"], "percent", "")
    if not sig:
        return (
            f", while the false-positive rate showed {NO_CHANGE} ({before} before, "
            f"{after} after, {interval})"
        )
    verb = "fell" if fpr["delta"] < 0 else "rose"
    return f", while the false-positive rate {verb} from {before} to {after} ({interval})"


# --------------------------------------------------------------------------- metric table


def rollup_rows(
    rows: Sequence[Mapping[str, Any]], period: str | None = None
) -> list[Mapping[str, Any]]:
    """The metric-table rows of every policy revision and segment (``all``/``all``), of
    ``period`` when given."""
    return [
        r
        for r in rows
        if r["policy_revision"] == "all"
        and r["segment"] == "all"
        and (period is None or r["period"] == period)
    ]


def window_rows(rows: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Metric → its rollup row over the whole window (period ``all``)."""
    return {r["metric"]: r for r in rollup_rows(rows, "all")}


def metric_statements(rows: Sequence[Mapping[str, Any]], *, synthetic: bool) -> list[Statement]:
    """Statements of the state over the whole report window (the ``all``/``all``/``all``
    rollup rows), one per headline metric with a value and an interval."""
    rollup = window_rows(rows)
    prefix = _prefix(synthetic)
    out: list[Statement] = []

    def add(metric: str, body: str) -> None:
        out.append(Statement(_sentence(prefix, body) + ".", "measured", (rollup[metric],)))

    row = _with_interval(rollup, "violating_per_10k_uploads")
    if row:
        add(
            "violating_per_10k_uploads",
            f"Violating items were {fmt(row['value'], 'per10k')} uploads "
            f"({_range(row, 'per10k')}; {row['n']:,} labelled items)",
        )
    row = _with_interval(rollup, "false_positive_rate_any_action")
    if row:
        add(
            "false_positive_rate_any_action",
            f"The false-positive rate of actions was {fmt(row['value'], 'percent')} "
            f"({_range(row, 'percent')}; {row['n']:,} labelled non-violating items)",
        )
    row = _with_interval(rollup, "recall_any_action")
    if row:
        add(
            "recall_any_action",
            f"Actions reached {fmt(row['value'], 'percent')} of violating items "
            f"({_range(row, 'percent')}; {row['n']:,} labelled violating items)",
        )
    row = _with_interval(rollup, "proactive_rate")
    if row:
        add(
            "proactive_rate",
            f"{fmt(row['value'], 'percent')} of actioned items were actioned before any user "
            f"notice ({_range(row, 'percent')}; {row['n']:,} actioned items)",
        )
    row = _with_interval(rollup, "views_before_action_over_1000")
    if row:
        add(
            "views_before_action_over_1000",
            f"{fmt(row['value'], 'percent')} of actioned items had more than 1,000 views "
            f"before action ({_range(row, 'percent')}; {row['n']:,} actioned items with views)",
        )
    row = _with_interval(rollup, "review_within_sla")
    if row:
        add(
            "review_within_sla",
            f"{fmt(row['value'], 'percent')} of items sent to review were reviewed by a person "
            f"within the service level ({_range(row, 'percent')}; {row['n']:,} queued items)",
        )
    row = _with_interval(rollup, "time_to_action_median_hours")
    if row:
        add(
            "time_to_action_median_hours",
            f"The median time to action was {fmt(row['value'], 'hours')} "
            f"({_range(row, 'hours')}; {row['n']:,} actioned items)",
        )
    return out


def _with_interval(rows: Mapping[str, Mapping[str, Any]], metric: str) -> Mapping[str, Any] | None:
    row = rows.get(metric)
    if row is None or not _complete(row, ("value", "ci_low", "ci_high")):
        return None
    return row


def _range(row: Mapping[str, Any], unit: Unit) -> str:
    low, high = fmt(row["ci_low"], unit), fmt(row["ci_high"], unit)
    if unit == "per10k":
        low = low.removesuffix(" per 10,000")
    return f"95% CI {low} to {high}"


# --------------------------------------------------------------------------- simulation


def simulation_statements(simulation: Mapping[str, Any]) -> list[Statement]:
    """One statement per non-reference combination and metric of ``SIMULATION_PHRASES`` with a
    paired delta and interval; always worded as simulated, naming the scenario."""
    combinations = list(simulation.get("combinations", []))
    if len(combinations) < 2:
        return []
    reference = combinations[0]
    replications = simulation.get("replications")
    what = f"scenario {simulation.get('scenario', '?')}, {replications} replications"
    rows = simulation.get("rows", [])
    by_key = {(r["combination"], r["metric"]): r for r in rows}
    out: list[Statement] = []
    for combination in combinations[1:]:
        for metric, phrase in SIMULATION_PHRASES.items():
            ref, row = by_key.get((reference, metric)), by_key.get((combination, metric))
            if ref is None or row is None or not _complete(row, ("value", "delta")):
                continue
            if ref.get("value") is None:
                continue
            sig = significant(row.get("delta_low"), row.get("delta_high"))
            if sig is None or _nothing_to_say(row["delta"], row["delta_low"], row["delta_high"]):
                continue
            view = {
                "baseline": ref["value"],
                "candidate": row["value"],
                "delta": row["delta"],
                "delta_ci_low": row["delta_low"],
                "delta_ci_high": row["delta_high"],
            }
            body = change_body(f"{combination} vs {reference}", view, phrase, sig, "")
            out.append(Statement(_prefix(False, what) + body + ".", "simulated", (ref, row)))
    return out
