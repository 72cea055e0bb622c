"""Figures for the DSA transparency report, pure over item tables (``impact.items``) and events:
each policy revision's classifier quality, the CSER quarter figures (Meta's five metrics) of a
reporting period's calendar quarters. Mapped to report rows by ``compliance.transparency``."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.core.events import ItemRestored
from deepscreen.core.metrics import ANY_ACTION
from deepscreen.impact.items import UTC_US
from deepscreen.impact.metrics import METRICS, PER_10K, metric_table

ROLLUP = "all"


@dataclass(frozen=True, slots=True)
class Estimate:
    """A figure computed outside (e.g. a metric-table row): value, 95% interval, n, definition.

    ``value`` None means not estimable (nothing to estimate from); it is then reported blank.
    """

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    definition: str = ""

    def check_range(self, low: float, high: float, what: str) -> None:
        """ValueError unless every number given is finite and within ``[low, high]``."""
        for name, number in (
            ("value", self.value),
            ("ci_low", self.ci_low),
            ("ci_high", self.ci_high),
        ):
            if number is not None and not (math.isfinite(number) and low <= number <= high):
                raise ValueError(f"{what} {name} {number!r} is outside [{low}, {high}]")


@dataclass(frozen=True, slots=True)
class RevisionQuality:
    """The automated means of one policy revision over its labelled items."""

    revision: str
    accuracy: Estimate
    precision: Estimate
    recall: Estimate
    false_positive_rate: Estimate


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """A reporting period of whole UTC days, ``start`` and ``end`` both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def label(self) -> str:
        """The templates' ``Reporting period`` value, ``YYYY-MM-DD/YYYY-MM-DD``."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def bounds(self) -> tuple[datetime, datetime]:
        """``[since, until)`` in UTC: midnight of ``start`` to midnight after ``end``."""
        since = datetime.combine(self.start, time(), tzinfo=UTC)
        return since, datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC)

    def contains(self, when: datetime) -> bool:
        since, until = self.bounds()
        return since <= when < until


@dataclass(frozen=True, slots=True)
class QuarterFigures:
    """One calendar quarter of the CSER-style table, every figure computed outside.

    ``prevalence`` is violating per 10,000 uploads (in [0, 10000]); ``proactive_rate`` a share.
    """

    quarter: str
    period: ReportPeriod
    uploads: int
    prevalence: Estimate
    actioned: int
    proactive_rate: Estimate
    appealed: int
    restored_with_appeal: int
    restored_without_appeal: int

    def __post_init__(self) -> None:
        self.prevalence.check_range(0.0, 10_000.0, f"{self.quarter} prevalence")
        self.proactive_rate.check_range(0.0, 1.0, f"{self.quarter} proactive rate")
        counts = (
            self.uploads,
            self.actioned,
            self.appealed,
            self.restored_with_appeal,
            self.restored_without_appeal,
        )
        if any(count < 0 for count in counts):
            raise ValueError(f"{self.quarter}: counts must be >= 0")


def restored_items(events: Iterable[object]) -> dict[str, bool]:
    """Item id → restored after an appeal (True) or only on the platform's own (False)."""
    restored: dict[str, bool] = {}
    for event in events:
        if isinstance(event, ItemRestored):
            restored[event.item_id] = restored.get(event.item_id, False) or event.appealed
    return restored


def ingested_between(items: pa.Table, since: datetime, until: datetime) -> pa.Table:
    """The items ingested in ``[since, until)``."""
    column = items.column("ingested_at")
    keep = pc.and_(
        pc.greater_equal(column, pa.scalar(since, type=UTC_US)),
        pc.less(column, pa.scalar(until, type=UTC_US)),
    )
    return items.filter(keep)


def automated_only(items: pa.Table) -> pa.Table:
    """The item table with ``enforced`` (and ``enforced_action``) kept only where the automated
    decision itself restricted the item: the automated means' own actions."""
    automated = pc.fill_null(items.column("automated"), False)
    action = pc.if_else(automated, items.column("action"), pa.scalar(None, pa.string()))
    table = items.set_column(items.schema.get_field_index("enforced"), "enforced", automated)
    index = table.schema.get_field_index("enforced_action")
    return table.set_column(index, "enforced_action", action)


def _rows_by_group(table: pa.Table, group: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(policy_revision, metric) → metric-table row, for segment ``all``."""
    return {
        (row["policy_revision"], row["metric"]): row
        for row in table.to_pylist()
        if row["segment"] == group
    }


def _estimate(row: Mapping[str, Any] | None, *, scale: float = 1.0) -> Estimate:
    """A metric-table row as an ``Estimate`` (NaN and null → None), divided by ``scale``."""
    if row is None:
        return Estimate(None)

    def number(value: Any) -> float | None:
        if value is None or value != value:  # null or NaN
            return None
        return float(value) / scale

    value = number(row["value"])
    return Estimate(
        value,
        number(row["ci_low"]) if value is not None else None,
        number(row["ci_high"]) if value is not None else None,
        int(row["n"] or 0),
        str(row["definition"] or ""),
    )


def derived_accuracy(
    prevalence: Estimate, recall: Estimate, false_positive_rate: Estimate
) -> Estimate:
    """Accuracy = p·recall + (1 − p)·(1 − FPR) over the labelled items the three share (exact:
    (TP + TN) ÷ labelled, with the same weights). None when a needed term is not estimable."""
    definition = (
        "(true positives + true negatives) ÷ labelled items, derived as p·recall + "
        "(1 − p)·(1 − false-positive rate) with p the labelled violating share, all over the "
        "same labelled items and weights. n = labelled items."
    )
    p = prevalence.value
    if p is None:
        return Estimate(None, n=prevalence.n, definition=definition)
    violating_part = 0.0
    clean_part = 0.0
    if p > 0:
        if recall.value is None:
            return Estimate(None, n=prevalence.n, definition=definition)
        violating_part = p * recall.value
    if p < 1:
        if false_positive_rate.value is None:
            return Estimate(None, n=prevalence.n, definition=definition)
        clean_part = (1 - p) * (1 - false_positive_rate.value)
    value = min(max(violating_part + clean_part, 0.0), 1.0)
    return Estimate(value, n=prevalence.n, definition=definition)


def revision_quality(items: pa.Table, *, bootstrap: bool = True) -> list[RevisionQuality]:
    """Accuracy, precision, recall and false-positive rate of each policy revision's automated
    actions (``automated_only``), in revision order."""
    if items.num_rows == 0:
        return []
    table = metric_table(
        automated_only(items), period="all", by_segment=False, by_policy=True, bootstrap=bootstrap
    )
    rows = _rows_by_group(table, ROLLUP)
    revisions = sorted({p for p, _ in rows if p not in (ROLLUP, "")})
    quality = []
    for revision in revisions:
        precision = _estimate(rows.get((revision, f"precision_{ANY_ACTION}")))
        recall = _estimate(rows.get((revision, f"recall_{ANY_ACTION}")))
        fpr = _estimate(rows.get((revision, f"false_positive_rate_{ANY_ACTION}")))
        prevalence = _estimate(rows.get((revision, "violating_per_10k_uploads")), scale=PER_10K)
        accuracy = derived_accuracy(prevalence, recall, fpr)
        quality.append(RevisionQuality(revision, accuracy, precision, recall, fpr))
    return quality


def quarter_figures(
    label: str,
    quarter: ReportPeriod,
    items: pa.Table,
    restored: Mapping[str, bool],
    pending_appeals: Collection[str] = (),
) -> QuarterFigures:
    """One CSER row from the items ingested in ``quarter`` (Meta's five metrics): uploads,
    prevalence, actioned and proactive rate from ``metric_table``; appealed = enforced items
    with a resolved or pending appeal (``pending_appeals``: item ids); restored from
    ``restored`` (item id → after an appeal)."""
    ids = set(items.column("item_id").to_pylist())
    with_appeal = sum(1 for item, appealed in restored.items() if item in ids and appealed)
    without_appeal = sum(1 for item, appealed in restored.items() if item in ids and not appealed)
    if items.num_rows == 0:
        empty = Estimate(None, definition=METRICS["violating_per_10k_uploads"])
        return QuarterFigures(label, quarter, 0, empty, 0, Estimate(None), 0, 0, 0)
    table = metric_table(items, period="all", by_segment=False, by_policy=False, bootstrap=False)
    rows = {metric: row for (_, metric), row in _rows_by_group(table, ROLLUP).items()}
    return QuarterFigures(
        quarter=label,
        period=quarter,
        uploads=_count(rows.get("uploads")),
        prevalence=_estimate(rows.get("violating_per_10k_uploads")),
        actioned=_count(rows.get("actioned_total")),
        proactive_rate=_estimate(rows.get("proactive_rate")),
        appealed=len(appealed_items(items) | (ids & set(pending_appeals))),
        restored_with_appeal=with_appeal,
        restored_without_appeal=without_appeal,
    )


def calendar_quarters(period: ReportPeriod) -> list[tuple[str, ReportPeriod]]:
    """The calendar quarters the period touches, each clipped to the period: (``2026-Q1``,
    days of that quarter inside the period)."""
    quarters = []
    first = date(period.start.year, 3 * ((period.start.month - 1) // 3) + 1, 1)
    while first <= period.end:
        month = first.month + 3
        after = date(first.year + (month > 12), (month - 1) % 12 + 1, 1)
        clipped = ReportPeriod(max(first, period.start), min(after - timedelta(days=1), period.end))
        quarters.append((f"{first.year}-Q{(first.month - 1) // 3 + 1}", clipped))
        first = after
    return quarters


def appealed_items(items: pa.Table) -> set[str]:
    """Ids of enforced items with a resolved appeal (as ``metric_table``'s ``appeal_rate``)."""
    appealed = pc.or_kleene(
        pc.or_kleene(
            pc.is_valid(items.column("appeal_received_at")),
            pc.is_valid(items.column("appeal_decided_at")),
        ),
        pc.is_valid(items.column("appeal_outcome")),
    )
    keep = pc.and_kleene(pc.fill_null(items.column("enforced"), False), appealed)
    return set(items.filter(keep).column("item_id").to_pylist())


def _count(row: Mapping[str, Any] | None) -> int:
    return 0 if row is None or row["value"] is None else round(float(row["value"]))
