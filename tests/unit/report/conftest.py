"""A small report document, shaped as ``service.report.build_report`` writes it, for rendering
tests that need no database."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from deepscreen.report.statements import comparison_statements, metric_statements

DAYS = 30
ITEMS = 2000
VOLUME = 3_000_000
NOISE = -6.39e-14
"""Floating-point noise where the answer is 0."""


def _rollup(
    metric: str, value: float | None, low: float | None, high: float | None, n: int, period: str
) -> dict[str, Any]:
    return {
        "period": period,
        "policy_revision": "all",
        "segment": "all",
        "metric": metric,
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "n": n,
    }


METRICS: list[tuple[str, float | None, float | None, float | None, int]] = [
    ("uploads", 2000.0, None, None, 2000),
    ("violating_per_10k_uploads", 2475.0, 2290.8, 2668.9, 2000),
    ("view_prevalence_per_10k", 2751.5, 2070.1, 3483.7, 2000),
    ("actioned_total", 288.0, None, None, 2000),
    ("actioned_label", 250.0, None, None, 2000),
    ("actioned_remove", 38.0, None, None, 2000),
    ("sent_to_review", 39.0, None, None, 2000),
    ("proactive_rate", 1.0, 0.987, 1.0, 288),
    ("automated_share", 1.0, 0.987, 1.0, 288),
    ("precision_any_action", 0.934, 0.899, 0.957, 288),
    ("recall_any_action", 0.543, 0.499, 0.587, 495),
    ("false_positive_rate_any_action", 0.0126, 0.0081, 0.0196, 1505),
    ("time_to_detect_median_hours", 0.0, 0.0, 0.0, 2000),
    ("time_to_action_median_hours", 0.035, 0.02, 0.9, 288),
    ("time_to_action_p90_hours", 2.1, 1.5, 3.0, 288),
    ("views_before_action_mean", NOISE, NOISE, 0.0, 288),
    ("views_before_action_0", 1.0, 0.987, 1.0, 288),
    ("views_before_action_over_1000", 0.0, 0.0, 0.0104, 288),
    ("appeal_rate", 0.0, 0.0, 0.0104, 288),
    ("overturn_rate", None, None, None, 0),
    ("review_within_sla", 0.0, 0.0, 0.074, 39),
    ("reviewer_hours", 0.0, None, None, 0),
    ("queue_precision_at_10", 0.9, 0.596, 0.982, 10),
    ("queue_harm_at_10", 3706.0, None, None, 10),
]
COSTS = [("cost_fp_review_cost", 27209.3), ("cost_review_labour", 0.0)]


def _comparison_row(
    metric: str, baseline: float, candidate: float, low: float, high: float
) -> dict[str, Any]:
    return {
        "metric": metric,
        "baseline": baseline,
        "candidate": candidate,
        "delta": candidate - baseline,
        "delta_ci_low": low,
        "delta_ci_high": high,
        "verdict": "significant" if low > 0 or high < 0 else "no significant change",
        "definition": f"definition of {metric}",
    }


COMPARISON = [
    _comparison_row("action_share.review", 0.0195, 0.0, -0.0255, -0.014),
    _comparison_row("sent_to_review", 39.0, 0.0, -51.0, -28.0),
    _comparison_row("actioned_total", 288.0, 327.0, 28.0, 51.0),
    _comparison_row("precision_any_action", 0.934, 0.936, -0.008, 0.009),
    _comparison_row("recall_any_action", 0.543, 0.618, 0.055, 0.098),
    _comparison_row("false_positive_rate_any_action", 0.0126, 0.0140, 0.0, 0.0034),
    _comparison_row("violating_unactioned_per_10k", 1130.0, 945.0, -245.1, -130.0),
    _comparison_row("views_before_action_mean_violating", 0.0, NOISE, NOISE, 0.0),
    _comparison_row("violating_exposure", 12613.0, 8295.0, -8319.1, -1256.9),
    _comparison_row("review_cost", 25.35, 0.0, -33.15, -18.18),
    _comparison_row("wrongful_action_cost", 12.35, 13.65, 0.0, 3.25),
]


def _scaled(row: dict[str, Any], name: str, factor: float, formula: str) -> dict[str, Any]:
    """As ``service.report.daily_rows`` scales a comparison row."""
    out = {k: row[k] * factor for k in ("baseline", "candidate", "delta")}
    out |= {k: row[k] * factor for k in ("delta_ci_low", "delta_ci_high")}
    return {
        "metric": name,
        **out,
        "verdict": row["verdict"],
        "definition": f"{formula} (from comparison row {row['metric']!r})",
        "from_metric": row["metric"],
    }


def _daily() -> list[dict[str, Any]]:
    rows = {r["metric"]: r for r in COMPARISON}
    days = ("sent_to_review", "actioned_total", "violating_exposure", "review_cost")
    days += ("wrongful_action_cost",)
    out = [_scaled(rows[m], f"{m}_per_day", 1 / DAYS, f"{m} ÷ {DAYS} days") for m in days]
    out += [
        _scaled(
            rows[m],
            f"{m}_per_month",
            VOLUME / ITEMS,
            f"{m} ÷ {ITEMS:,} items × {VOLUME:,} uploads/month",
        )
        for m in ("review_cost", "wrongful_action_cost")
    ]
    out.append(
        _scaled(
            rows["sent_to_review"],
            "reviewer_hours_per_day",
            1.6 / 60 / DAYS,
            f"sent_to_review × 1.6 review minutes per item ÷ 60 ÷ {DAYS} days",
        )
    )
    return out


def _document() -> dict[str, Any]:
    metrics = [_rollup(*m, period="all") for m in METRICS]
    for week in ("2026-W40", "2026-W41"):
        metrics += [_rollup(*m, period=week) for m in METRICS[:8]]
    metrics += [_rollup(name, value, None, None, ITEMS, "all") for name, value in COSTS]
    comparison = {
        "baseline_revision": "r-old",
        "candidate_revision": "r-new",
        "candidate_name": "label-first",
        "items": ITEMS,
        "items_replayed": ITEMS,
        "items_changed": 39,
        "labelled": ITEMS,
        "violating": 495,
        "bootstrap": {"method": "paired percentile bootstrap over items", "replicates": 200},
        "metrics": copy.deepcopy(COMPARISON),
        "cost_assumptions": ["review cost per item: 0.65 USD (test)"],
    }
    comparison["bootstrap"]["seed"] = 0
    statements = [
        *metric_statements(metrics, synthetic=True),
        *comparison_statements(comparison, synthetic=True, currency="USD"),
    ]
    names = {r["metric"] for r in metrics}
    return {
        "report_version": 1,
        "title": "test report",
        "generated_at": "2026-11-25T00:00:00+00:00",
        "data": {
            "synthetic": True,
            "simulated_sections": [],
            "items": ITEMS,
            "period": "week",
            "first_ingested": "2026-10-01T00:00:00+00:00",
            "last_ingested": "2026-10-30T00:00:00+00:00",
            "days": DAYS,
            "since": None,
            "until": None,
        },
        "policy": {
            "revision": "r-old",
            "name": "default",
            "candidate": {
                "name": "label-first",
                "revision": "r-new",
                "description": "Declared-AI media in news is labelled instead of reviewed.",
                "directory": "candidate",
            },
        },
        "metrics": metrics,
        "definitions": {name: f"Definition of {name}." for name in sorted(names)},
        "costs": {
            "model": {"currency": "USD", "monthly_volume": VOLUME},
            "figures": {"figures": {"harm_avoided": {"value": None, "reason": "no harm per view"}}},
        },
        "comparison": comparison,
        "daily": _daily(),
        "evaluation": None,
        "simulation": None,
        "optimization": None,
        "statements": [s.to_dict() for s in statements],
        "assumptions": ["review cost per item: 0.65 USD (test)"],
    }


@pytest.fixture
def report_doc() -> dict[str, Any]:
    return _document()
