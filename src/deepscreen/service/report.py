"""The report use case: gather every computed result into one plain JSON-able document, then
render it; it computes nothing new except the per-day scaling of comparison totals
(``daily_rows``). What it gathers: docs/internals/service.md."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.core.errors import InvalidInput, ResultFileInvalid
from deepscreen.core.files import json_ready
from deepscreen.impact.compare import compare
from deepscreen.impact.costs import CostModel, CostReport, cost_report
from deepscreen.impact.items import build_items
from deepscreen.impact.metric_export import to_records
from deepscreen.impact.metrics import metric_table
from deepscreen.impact.takedown import compliance_rows, shown_rows, table_rows, takedown_ledger
from deepscreen.policy.bundle import Bundle, load_bundle
from deepscreen.report.statements import (
    comparison_statements,
    metric_statements,
    simulation_statements,
)
from deepscreen.service.demo import GROUND_TRUTH_REVIEWER
from deepscreen.service.impact import cost_rows
from deepscreen.service.optimize_file import read_optimization
from deepscreen.service.replay import comparison_report, latest_revision, load_events, select_items
from deepscreen.service.scan import Services

REPORT_VERSION = 1
Step = Callable[[str], None]

STEPS = ("events", "metrics", "comparison", "inputs", "statements")
"""The progress steps of ``build_report``, in order."""


@dataclass(frozen=True)
class ReportRequest:
    period: str = "month"
    since: datetime | None = None
    until: datetime | None = None
    candidate: Path | None = None
    """A candidate policy directory to replay against the stored decisions."""
    evaluation: Path | None = None
    simulation: Path | None = None
    optimization: Path | None = None
    synthetic: bool = False
    """The data was generated (the demo): every statement says so."""
    title: str = "deepscreen impact report"
    n_boot: int = 2000
    seed: int = 0
    segment_attribute: str = "category"
    score_signal: str = "ensemble"
    takedown_bank: str = "takedown"
    """The ``[takedown] bank``: its matches at upload are copies removed."""


def build_report(
    services: Services,
    costs: Mapping[str, Any],
    request: ReportRequest,
    *,
    now: datetime,
    cost_source: str = "settings [costs]",
    review_sla_hours: float | None = None,
    step: Step | None = None,
) -> dict[str, Any]:
    """The report document (docs/internals/service.md). ``step`` is told each of ``STEPS`` as it
    starts. ``review_sla_hours`` (the ``[review] default_sla_hours`` setting) adds the share of
    queued items reviewed in time. Raises ``InvalidInput`` for an empty window or an unreadable
    input file."""
    tell = step or (lambda _name: None)
    tell("events")
    events = load_events(services.store)
    items = _in_window(
        build_items(
            events,
            segment_attribute=request.segment_attribute,
            score_signal=request.score_signal,
        ),
        request.since,
        request.until,
    )
    if items.num_rows == 0:
        raise InvalidInput("no stored items in the report window: nothing to report")
    if not request.synthetic and holds_demo_labels(events):
        request = replace(request, synthetic=True)
    model = CostModel.from_mapping(costs, source=cost_source)
    tell("metrics")
    figures = cost_report(items, model)
    metrics = _metrics(items, figures, model, request, review_sla_hours)
    tell("comparison")
    comparison, candidate = _comparison(events, model, request)
    tell("inputs")
    evaluation = _read_input(request.evaluation, "evaluation", ("metrics", "roc", "pr"))
    simulation = _read_input(request.simulation, "simulation", ("rows", "combinations"))
    optimization = None if request.optimization is None else read_optimization(request.optimization)
    if evaluation is not None and "evaluation" in evaluation:
        evaluation = evaluation["evaluation"]
    tell("statements")
    data = _data_section(items, request, simulation)
    daily = daily_rows(comparison, data["days"], model) if comparison else []
    statements = [
        *metric_statements(metrics, synthetic=request.synthetic),
        *(
            comparison_statements(comparison, synthetic=request.synthetic, currency=model.currency)
            if comparison
            else []
        ),
        *(simulation_statements(simulation) if simulation else []),
    ]
    return {
        "report_version": REPORT_VERSION,
        "title": request.title,
        "generated_at": now.isoformat(),
        "data": data,
        "policy": {
            "revision": services.bundle.revision,
            "name": services.bundle.name,
            "candidate": _bundle_info(candidate),
        },
        "metrics": [{k: v for k, v in r.items() if k != "definition"} for r in metrics],
        "definitions": {r["metric"]: r["definition"] for r in metrics},
        "costs": {
            "model": model.to_dict(),
            "figures": figures.to_dict(),
        },
        "comparison": comparison,
        "daily": daily,
        "evaluation": evaluation,
        "simulation": simulation,
        "optimization": optimization,
        "statements": [s.to_dict() for s in statements],
        "assumptions": _assumptions(model, request, comparison, review_sla_hours),
        "takedown": _takedown(events, request, now),
    }


def _takedown(events: pa.Table, request: ReportRequest, now: datetime) -> dict[str, Any] | None:
    """The takedown compliance figures of requests received in the window (None: none and
    no copies)."""
    bank = request.takedown_bank
    found = takedown_ledger(table_rows(events, bank=bank), bank=bank)
    if not found.requests and not found.copies:
        return None
    figures = compliance_rows(found, now=now, since=request.since, until=request.until)
    return {"as_of": now.isoformat(), "bank": bank, "figures": shown_rows(figures)}


def holds_demo_labels(events: pa.Table) -> bool:
    """Whether the ground truth is the demo's synthetic labels: a report on demo data says it
    is synthetic even when the caller did not."""
    reviews = events.filter(pc.equal(events["event_type"], "review_completed"))
    marker = json.dumps(GROUND_TRUTH_REVIEWER)
    return bool(pc.any(pc.match_substring(reviews["payload"], marker)).as_py())


def _in_window(items: pa.Table, since: datetime | None, until: datetime | None) -> pa.Table:
    if since is not None:
        items = items.filter(pc.greater_equal(items["ingested_at"], pa.scalar(since)))
    if until is not None:
        items = items.filter(pc.less(items["ingested_at"], pa.scalar(until)))
    return items


def _metrics(
    items: pa.Table,
    figures: CostReport,
    model: CostModel,
    request: ReportRequest,
    review_sla_hours: float | None,
) -> list[dict[str, Any]]:
    """Metric rows over time (``request.period``) and over the whole window (``all``), then the
    computed cost figures."""
    periods = [request.period] if request.period == "all" else [request.period, "all"]
    tables = [
        metric_table(
            items,
            period=p,  # type: ignore[arg-type]
            n_boot=request.n_boot,
            seed=request.seed,
            review_minutes_per_item=model.review_minutes_per_item,
            review_sla_hours=review_sla_hours,
        )
        for p in periods
    ]
    tables.append(cost_rows(figures))
    return to_records(pa.concat_tables(tables))


def _comparison(
    events: pa.Table, model: CostModel, request: ReportRequest
) -> tuple[dict[str, Any] | None, Bundle | None]:
    if request.candidate is None:
        return None, None
    revision = latest_revision(events)
    if revision is None:
        raise InvalidInput("no decisions are stored: nothing to compare the candidate with")
    selection = select_items(
        events, since=request.since, until=request.until, baseline_revision=revision
    )
    names = selection.signal_names
    bundle = load_bundle(request.candidate, known_signals=names if names else None)
    replayed = selection.replay(bundle)
    result = compare(
        replayed.baseline, replayed.candidate, n_boot=request.n_boot, seed=request.seed, costs=model
    )
    report = comparison_report(replayed, result, revision)
    report["candidate_name"] = bundle.name
    return json_ready(report), bundle


def _bundle_info(bundle: Bundle | None) -> dict[str, Any] | None:
    if bundle is None:
        return None
    return {
        "name": bundle.name,
        "revision": bundle.revision,
        "description": bundle.description,
        "directory": Path(bundle.directory).name,
    }


def _read_input(path: Path | None, what: str, keys: Sequence[str]) -> dict[str, Any] | None:
    """A JSON result file written by another deepscreen command, checked for its keys (the
    optimisation result has a schema of its own: ``service.optimize.read_optimization``)."""
    if path is None:
        return None
    expected = f"{what} JSON (the --json FILE of {_WRITERS[what]})"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultFileInvalid(str(path), expected, [f"cannot read: {exc.strerror}"]) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultFileInvalid(str(path), expected, [f"not JSON ({exc})"]) from exc
    if not isinstance(data, dict):
        raise ResultFileInvalid(str(path), expected, ["must hold a JSON object"])
    body = data.get("evaluation", data) if what == "evaluation" else data
    missing = [k for k in keys if not isinstance(body, dict) or k not in body]
    if missing:
        raise ResultFileInvalid(str(path), expected, [f"lacks {', '.join(missing)}"])
    return data


_WRITERS = {
    "evaluation": "deepscreen eval (or deepscreen train)",
    "simulation": "deepscreen simulate",
}


DAILY_METRICS = (
    "sent_to_review",
    "actioned_total",
    "violating_exposure",
    "review_cost",
    "wrongful_action_cost",
    "total_cost",
)
"""Comparison totals that the case study states per day."""
MONTHLY_METRICS = ("review_cost", "wrongful_action_cost", "total_cost")
"""Cost totals also stated per month at the configured ``monthly_volume``."""


def daily_rows(comparison: Mapping[str, Any], days: int, model: CostModel) -> list[dict[str, Any]]:
    """Comparison totals divided by the window's days (a linear rescaling: the value, the delta
    and its interval are all divided); cost totals per month at ``monthly_volume`` (÷ compared
    items × volume) when it is configured; reviewer hours from review items when
    ``review_minutes_per_item`` is. Each row names its formula and source metric."""
    by_metric = {r["metric"]: r for r in comparison.get("metrics", [])}
    out: list[dict[str, Any]] = []
    for metric in DAILY_METRICS:
        row = by_metric.get(metric)
        if row is not None:
            out.append(_scaled(row, f"{metric}_per_day", 1.0 / days, f"{metric} ÷ {days} days"))
    items, volume = comparison.get("items"), model.monthly_volume
    if volume is not None and items:
        for metric in MONTHLY_METRICS:
            row = by_metric.get(metric)
            if row is not None:
                formula = f"{metric} ÷ {items:,} items × {volume:,} uploads/month"
                out.append(_scaled(row, f"{metric}_per_month", volume / items, formula))
    minutes = model.review_minutes_per_item
    review = by_metric.get("sent_to_review")
    if minutes is not None and review is not None:
        factor = minutes / 60.0 / days
        out.append(
            _scaled(
                review,
                "reviewer_hours_per_day",
                factor,
                f"sent_to_review × {minutes:g} review minutes per item ÷ 60 ÷ {days} days",
            )
        )
    return out


def _scaled(row: Mapping[str, Any], name: str, factor: float, formula: str) -> dict[str, Any]:
    def scale(key: str) -> float | None:
        value = row.get(key)
        return None if value is None else float(value) * factor

    return {
        "metric": name,
        "baseline": scale("baseline"),
        "candidate": scale("candidate"),
        "delta": scale("delta"),
        "delta_ci_low": scale("delta_ci_low"),
        "delta_ci_high": scale("delta_ci_high"),
        "verdict": row.get("verdict"),
        "definition": f"{formula} (from comparison row {row['metric']!r})",
        "formula": formula,
        "from_metric": row["metric"],
    }


def _data_section(
    items: pa.Table, request: ReportRequest, simulation: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What the report covers; ``days`` counts calendar days (UTC) from the first to the last
    ingestion in the window, inclusive."""
    first, last = pc.min(items["ingested_at"]).as_py(), pc.max(items["ingested_at"]).as_py()
    return {
        "synthetic": request.synthetic,
        "simulated_sections": ["simulation"] if simulation else [],
        "items": items.num_rows,
        "period": request.period,
        "first_ingested": first.isoformat(),
        "last_ingested": last.isoformat(),
        "days": int((last.date() - first.date()).days) + 1,
        "since": request.since.isoformat() if request.since else None,
        "until": request.until.isoformat() if request.until else None,
    }


def _assumptions(
    model: CostModel,
    request: ReportRequest,
    comparison: Mapping[str, Any] | None,
    review_sla_hours: float | None,
) -> list[str]:
    lines = list(model.assumptions()) or [f"no cost inputs configured ({model.source})"]
    if review_sla_hours is not None:
        lines.append(
            f"review service level: a queued item reviewed within {review_sla_hours:g} hours of "
            "its decision is in time (settings [review].default_sla_hours)"
        )
    if comparison:
        lines += [f"comparison: {note}" for note in comparison.get("cost_notes", [])]
    if request.synthetic:
        lines.append(
            "the data is synthetic: generated by deepscreen from a fixed seed, not measured"
        )
    for what, path in (
        ("detector evaluation", request.evaluation),
        ("simulation", request.simulation),
        ("threshold optimisation", request.optimization),
    ):
        if path is not None:
            lines.append(f"{what} read from {path.name}")
    return lines
