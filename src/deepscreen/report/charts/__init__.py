"""Charts for the HTML report and case study, as inline SVG: plotting given numbers, never
computing them. Each function takes plain data as the JSON outputs carry it and returns SVG
markup, or None when there is nothing to plot (rules: docs/internals/report.md)."""

from __future__ import annotations

from deepscreen.report.charts.base import axis_title, unit_text
from deepscreen.report.charts.comparison import (
    BEFORE_AFTER_METRICS,
    before_after_chart,
    comparison_chart,
)
from deepscreen.report.charts.evaluation import (
    per_source_recall_chart,
    pr_chart,
    reliability_chart,
    roc_chart,
)
from deepscreen.report.charts.frontier import frontier_chart
from deepscreen.report.charts.impact import (
    actions_chart,
    prevalence_chart,
    review_load_chart,
    time_to_action_chart,
    views_before_action_chart,
)
from deepscreen.report.charts.simulation import SIMULATION_METRICS, simulation_chart

__all__ = [
    "BEFORE_AFTER_METRICS",
    "SIMULATION_METRICS",
    "actions_chart",
    "axis_title",
    "before_after_chart",
    "comparison_chart",
    "frontier_chart",
    "per_source_recall_chart",
    "pr_chart",
    "prevalence_chart",
    "reliability_chart",
    "review_load_chart",
    "roc_chart",
    "simulation_chart",
    "time_to_action_chart",
    "unit_text",
    "views_before_action_chart",
]
