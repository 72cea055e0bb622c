"""What the dashboard shows: the headline rows of the impact metric table, labelled and written as
every surface writes them (``core.metrics``, ``core.numbers``: "Overturn rate 12.5% (n = 8)"),
and reviewer accuracy under pseudonyms. Plain values for the template; no HTML here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deepscreen.core import metrics
from deepscreen.core.numbers import format_value
from deepscreen.service.impact import impact_report, to_records
from deepscreen.service.review_gold import AccuracyReport, reviewer_accuracy
from deepscreen.service.review_queue import pseudonym
from deepscreen.service.scan import Services

LABELLED_ITEMS = "labelled_items"  # the n of violating_per_10k_uploads, shown as a count
LABELLED_TITLE = "Items with a ground-truth label"


@dataclass(frozen=True)
class Headline:
    """One card: the metric's label, its value and interval written in its unit, and its n."""

    name: str
    title: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    definition: str
    unit: str = "count"

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.unit, missing="n/a")

    @property
    def interval_text(self) -> str | None:
        if self.ci_low is None or self.ci_high is None:
            return None
        low, high = (format_value(v, self.unit) for v in (self.ci_low, self.ci_high))
        return f"{low}–{high}"

    @property
    def n_text(self) -> str:
        return format_value(self.n)


# The metrics a dashboard leads with, in order. ``labelled_items`` is the n of
# ``violating_per_10k_uploads``: items with a ground-truth label (reviews and imports).
HEADLINES = (
    "uploads",
    "sent_to_review",
    LABELLED_ITEMS,
    "actioned_total",
    "violating_per_10k_uploads",
    "precision_any_action",
    "automated_share",
    "appeal_rate",
    "overturn_rate",
    "time_to_action_median_hours",
)


@dataclass(frozen=True)
class Dashboard:
    headlines: list[Headline]
    accuracy: AccuracyReport  # pseudonymised


def dashboard(services: Services, costs: Mapping[str, Any]) -> Dashboard:
    """Headline rows of the impact metric table (all time, no breakdowns, no bootstrap: a page
    view stays cheap) and reviewer accuracy under pseudonyms."""
    report = impact_report(
        services, costs, period="all", by_segment=False, by_policy=False, bootstrap=False
    )
    rows = {r["metric"]: r for r in to_records(report.table)}
    if "violating_per_10k_uploads" in rows:
        base = rows["violating_per_10k_uploads"]
        rows[LABELLED_ITEMS] = {
            "value": base["n"],
            "ci_low": None,
            "ci_high": None,
            "n": base["n"],
            "definition": "Items with a ground-truth label (latest review or imported label): "
            "the n of violating_per_10k_uploads.",
        }
    headlines = [
        Headline(
            name,
            LABELLED_TITLE if name == LABELLED_ITEMS else metrics.label(name),
            row["value"],
            row["ci_low"],
            row["ci_high"],
            int(row["n"]),
            row["definition"],
            "count" if name == LABELLED_ITEMS else metrics.unit(name),
        )
        for name in HEADLINES
        if (row := rows.get(name)) is not None
    ]
    accuracy = reviewer_accuracy(services).pseudonymised(lambda r: pseudonym(services, r))
    return Dashboard(headlines, accuracy)
