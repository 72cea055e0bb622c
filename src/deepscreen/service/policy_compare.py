"""Comparing a candidate policy with the active one on the recorded items: the comparison, its
metric rows and cost model, and the cells a table shows them in."""

from __future__ import annotations

from deepscreen.impact.compare import Comparison as Comparison
from deepscreen.impact.compare import MetricRow as MetricRow
from deepscreen.impact.compare import compare as compare_policies
from deepscreen.impact.costs import CostModel as CostModel
from deepscreen.report.formatting import comparison_cells as comparison_cells

__all__ = ["Comparison", "CostModel", "MetricRow", "compare_policies", "comparison_cells"]
