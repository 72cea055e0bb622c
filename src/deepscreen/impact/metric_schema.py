"""The impact metric table's shape: its columns (``TABLE_SCHEMA``), metrics and their
definitions (``METRICS``), periods and the constants its rows use."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

import pyarrow as pa

from deepscreen.core import metrics as definitions

Period = Literal["day", "week", "month", "all"]
PERIODS: tuple[str, ...] = ("day", "week", "month", "all")
ALL = "all"
PER_10K = 10_000.0
CONFIDENCE = 0.95
OVERTURNED = ("reversed", "partially_reversed")

TABLE_SCHEMA = pa.schema(
    [
        ("period", pa.string()),
        ("policy_revision", pa.string()),
        ("segment", pa.string()),
        ("metric", pa.string()),
        ("value", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
        ("n", pa.int64()),
        ("definition", pa.string()),
    ]
)
"""The columns of ``metric_table``'s result."""

METRICS: Mapping[str, str] = MappingProxyType(
    {m.name: m.definition for m in definitions.table_metrics()}
)
"""Metric name → definition, in the table's metric order (this text fills ``definition``);
the labels, units and parts of each are in ``core.metrics``.

``precision_/recall_/false_positive_rate_<action>`` rows appear for ``any_action`` (enforced),
``flagged`` (any decision but allow) and each enforcement action present in the item table;
``review_within_sla`` only with ``review_sla_hours``; ``reviewer_hours`` only with
``review_minutes_per_item``.
"""


def is_proportion(name: str) -> bool:
    """Whether metric ``name`` is a share of items (in [0, 1])."""
    return definitions.is_share(name)
