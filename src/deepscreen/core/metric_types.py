"""What every metric definition is made of: the ``Metric`` record and its ``Unit``, the action
names and buckets metrics are split by, and the interval wordings they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "share", "score", "per_10k", "hours", "views", "money", "incidents"]
"""How a value is read: ``share`` is a proportion in [0, 1] printed as a percentage; ``score``
a number in [0, 1] printed as a decimal (AUC); ``money`` is in the configured currency;
``per_10k`` is a rate per 10,000 items."""

ENFORCEMENT_ACTIONS: tuple[str, ...] = ("label", "downrank", "age_gate", "remove")
ANY_ACTION = "any_action"
FLAGGED = "flagged"
QUEUE_KS: tuple[int, ...] = (10, 100)
VBA_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1_10", 1, 10),
    ("11_100", 11, 100),
    ("101_1000", 101, 1000),
    ("over_1000", 1001, None),
)

WILSON = "95% Wilson interval; when none qualifies (k = 0), the rule of three: [0, 1 − 0.05^(1/n)]."
QUALITY_CI = (
    "Unweighted: 95% Wilson interval (rule of three at k = 0). When labelled items of the group "
    "carry inclusion probabilities: Hájek-weighted by 1/π with a 95% percentile bootstrap over "
    "labelled items (at an estimate of exactly 0 or 1, Wilson/rule of three on the Kish effective "
    "sample size). Unlabelled items are left out; null with n = 0 when no item qualifies."
)
QUANTILE_CI = (
    "95% interval: exact bootstrap percentile interval of the order statistics (over items)."
)
PAIRED = "95% paired percentile bootstrap over items (for the change between two policies)."
SHORT_INTERVALS = {
    WILSON: "Wilson 95% (rule of three at k = 0)",
    QUALITY_CI: "Wilson 95%; Hájek-weighted: percentile bootstrap",
    QUANTILE_CI: "exact bootstrap percentile interval of the order statistics, 95%",
    PAIRED: "paired percentile bootstrap 95%, of the change between two policies",
}
"""Each interval wording in brief, for the metric reference table."""
_TTA = (
    "time to action in hours over enforced items: enforced_at − notice_at when a notice was "
    "received at or before the action (notice-and-action, DSA), else enforced_at − "
    "max(ingested_at, detected_at) (own initiative, from first detection; docs/metrics.md, 'Time')."
)


@dataclass(frozen=True, slots=True)
class Metric:
    """One number: what it counts, over which items, how it is estimated, how people read it.

    ``text`` is the full definition printed beside the value (the metric table's
    ``definition`` column); the other fields are its parts, for tables and docs."""

    name: str
    label: str
    unit: Unit
    population: str
    numerator: str
    denominator: str = ""
    estimator: str = ""
    interval: str = "none"
    text: str = ""

    @property
    def definition(self) -> str:
        if self.text:
            return self.text
        ratio = f"{self.numerator} ÷ {self.denominator}" if self.denominator else self.numerator
        return f"{ratio}, over {self.population}. {self.estimator} Interval: {self.interval}."

    @property
    def is_share(self) -> bool:
        return self.unit == "share"
