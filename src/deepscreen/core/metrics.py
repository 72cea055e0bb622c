"""One definition per number: every metric any surface prints, with its human label and unit
(``Metric``: population, numerator, denominator, estimator, interval). For people: docs/metrics.md;
why one registry, and the enforced/flagged pair: docs/internals/core.md."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
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


def _acted(action: str) -> str:
    if action == FLAGGED:
        return "flagged (automated decision other than allow, review included)"
    if action == ANY_ACTION:
        return "enforced (any action)"
    return f"enforced with action {action!r} (enforced_action)"


def _short(action: str) -> str:
    if action == FLAGGED:
        return "flagged: any decision but allow, incl. review"
    if action == ANY_ACTION:
        return "enforced: any restricting action"
    return f"enforced: {action.replace('_', ' ')}"


def _quality(action: str) -> list[Metric]:
    acted, short = _acted(action), _short(action)
    return [
        Metric(
            f"precision_{action}",
            f"Precision ({short})",
            "share",
            "labelled items",
            f"labelled items {acted} that are violating",
            f"labelled items {acted}",
            "Hájek-weighted when labels carry inclusion probabilities.",
            QUALITY_CI,
            f"Labelled items {acted} that are violating ÷ labelled items {acted}. {QUALITY_CI} "
            "n = labelled items with the action.",
        ),
        Metric(
            f"recall_{action}",
            f"Recall ({short})",
            "share",
            "labelled items",
            f"labelled violating items {acted}",
            "labelled violating items",
            "Null without labelled items the policy did not act on.",
            QUALITY_CI,
            f"Labelled violating items {acted} ÷ labelled violating items. {QUALITY_CI} "
            "n = labelled violating items. Needs labelled items the policy did not act on (a "
            "non-actioned sample, `deepscreen sample`): without any it is null, n = 0.",
        ),
        Metric(
            f"false_positive_rate_{action}",
            f"False-positive rate ({short})",
            "share",
            "labelled items",
            f"labelled non-violating items {acted}",
            "labelled non-violating items",
            "Hájek-weighted when labels carry inclusion probabilities.",
            QUALITY_CI,
            f"Labelled non-violating items {acted} ÷ labelled non-violating items. {QUALITY_CI} "
            "n = labelled non-violating items.",
        ),
    ]


def _table() -> list[Metric]:
    """The impact metric table's metrics, in its row order."""
    enforced = "enforced items"
    rows = [
        Metric(
            "uploads",
            "Uploads",
            "count",
            "items ingested in the period",
            "distinct items",
            text="Items ingested in the period (distinct items). Count; n = the same count.",
        ),
        Metric(
            "violating_per_10k_uploads",
            "Violating items per 10,000 uploads",
            "per_10k",
            "labelled items",
            "labelled violating items",
            "labelled items",
            "× 10,000; Hájek-weighted by 1/π when labels carry inclusion probabilities.",
            "95% Wilson (Kish effective n when weighted); rule of three at k = 0",
            "Labelled items that are violating ÷ labelled items × 10,000 (ground truth: latest "
            "review or imported label). Labelled items with an inclusion probability π weigh 1/π "
            "(Hájek; others weigh 1); without any π, unlabelled items are assumed missing at "
            "random. 95% Wilson interval (weighted: on the Kish effective sample size "
            "(Σw)²/Σw²); with no violating labelled item, the rule of three: "
            "[0, 1 − 0.05^(1/n)] × 10,000. n = labelled items.",
        ),
        Metric(
            "view_prevalence_per_10k",
            "Violating views per 10,000 views",
            "per_10k",
            "labelled items",
            "views of labelled violating items",
            "views of labelled items",
            "× 10,000, Hájek-weighted.",
            "95% percentile bootstrap over items",
            "Σ views_total of violating labelled items ÷ Σ views_total of labelled items × "
            "10,000 (Hájek-weighted by 1/π as violating_per_10k_uploads). 95% percentile "
            "bootstrap over labelled items (an item's views stay together); when no (or every) "
            "labelled view is violating, the rule of three (Wilson) on the view-weighted Kish "
            "effective sample size. Null when labelled items have no views. n = labelled items.",
        ),
        Metric(
            "actioned_total",
            "Items enforced (any restricting action)",
            "count",
            "items",
            "distinct enforced items",
            text="Distinct enforced items: a restricting automated action (label, downrank, "
            "age_gate, remove), or a human review confirming a violation of an item the policy "
            "sent to review or a user reported (notice before the review). "
            "Count; n = uploads.",
        ),
    ]
    for action in ENFORCEMENT_ACTIONS:
        rows.append(
            Metric(
                f"actioned_{action}",
                f"Items enforced with {action.replace('_', ' ')}",
                "count",
                "items",
                f"distinct enforced items whose enforced action is {action}",
                text=f"Distinct enforced items whose enforced action is {action!r} (after "
                "review: the action the reviewer applied). Count; n = uploads.",
            )
        )
    rows += [
        Metric(
            "sent_to_review",
            "Items sent to human review",
            "count",
            "items",
            "items whose automated decision is review",
            text="Items the automated decision routed to human review (action = review). "
            "Count; n = uploads.",
        ),
        Metric(
            "proactive_rate",
            "Proactive share (enforced before any user notice)",
            "share",
            enforced,
            "enforced items actioned before any user notice",
            enforced,
            "",
            WILSON,
            "Enforced items actioned before any user notice (no notice_at, or enforced_at "
            f"earlier than notice_at) ÷ enforced items. {WILSON} n = enforced items.",
        ),
        Metric(
            "automated_share",
            "Automated share (enforced without a person)",
            "share",
            enforced,
            "items enforced by the automated decision alone",
            enforced,
            "",
            WILSON,
            "Enforced items enforced by the automated decision alone (automated) ÷ enforced "
            f"items. {WILSON} n = enforced items.",
        ),
        Metric(
            "appeal_rate",
            "Appeal rate (of enforced items)",
            "share",
            enforced,
            "enforced items with an appeal",
            enforced,
            "",
            WILSON,
            "Enforced items with an appeal ÷ enforced items (appeals on items never enforced are "
            f"not counted here). {WILSON} n = enforced items.",
        ),
        Metric(
            "overturn_rate",
            "Overturn rate (of decided appeals)",
            "share",
            "decided appeals",
            "appeals reversed or partially reversed",
            "decided appeals",
            "A selection-affected lower bound on wrong actions.",
            WILSON,
            "Decided appeals (appeal_outcome recorded and not 'omitted') with outcome "
            "'reversed' or 'partially_reversed' ÷ decided appeals — a selection-affected lower "
            f"bound on wrong actions, not an accuracy measure. {WILSON} n = decided appeals.",
        ),
        Metric(
            "time_to_detect_median_hours",
            "Median time to detect (hours)",
            "hours",
            "items with a detection",
            "detected_at − ingested_at",
            "",
            "Median, linear interpolation.",
            QUANTILE_CI,
            "Median (linear interpolation) of detected_at − ingested_at in hours over items "
            f"with a detection. {QUANTILE_CI} n = items with a detection.",
        ),
        Metric(
            "time_to_action_median_hours",
            "Median time to action (hours)",
            "hours",
            "enforced items with an enforcement time",
            "time to action",
            "",
            "Median, linear interpolation.",
            QUANTILE_CI,
            f"Median (linear interpolation) of the {_TTA} {QUANTILE_CI} "
            "n = enforced items with an enforcement time.",
        ),
        Metric(
            "time_to_action_p90_hours",
            "90th-percentile time to action (hours)",
            "hours",
            "enforced items with an enforcement time",
            "time to action",
            "",
            "90th percentile, linear interpolation.",
            QUANTILE_CI,
            f"90th percentile (linear interpolation) of the {_TTA} {QUANTILE_CI} "
            "n = enforced items with an enforcement time.",
        ),
        Metric(
            "views_before_action_mean",
            "Mean views before action (all enforced items)",
            "views",
            "enforced items with a view count",
            "Σ views before the first restricting action",
            "enforced items with a view count",
            "Mean.",
            "95% percentile bootstrap over items",
            "Mean of views_before_action (views in windows ending at or before the first "
            "restricting action) over enforced items. 95% percentile bootstrap over items. "
            "n = enforced items with a view count.",
        ),
    ]
    for suffix, low, high in VBA_BUCKETS:
        span = f"more than {low - 1:,}" if high is None else f"{low:,}–{high:,}"
        if low == high:
            span = f"{low}"
        rows.append(
            Metric(
                f"views_before_action_{suffix}",
                f"Enforced items with {span} views before action",
                "share",
                "enforced items with a view count",
                f"enforced items with {span} views before action",
                "enforced items with a view count",
                "",
                WILSON,
                f"Share of enforced items with {span} views before action ÷ enforced items "
                f"with a view count. {WILSON} n = enforced items with a view count.",
            )
        )
    for action in (ANY_ACTION, FLAGGED, *ENFORCEMENT_ACTIONS):
        rows += _quality(action)
    for k in QUEUE_KS:
        rows += [
            Metric(
                f"queue_precision_at_{k}",
                f"Review-queue precision, top {k}",
                "share",
                f"top {k} items routed to review",
                "labelled violating",
                "labelled",
                "Ranked by score, then views, then item id.",
                WILSON,
                f"Among the top {k} items routed to review (action = review), ranked by score "
                "descending (missing last), then views_total descending, then item_id: labelled "
                f"violating ÷ labelled. {WILSON} n = labelled items among them.",
            ),
            Metric(
                f"queue_harm_at_{k}",
                f"Views of violating items in the review queue's top {k}",
                "views",
                f"top {k} items routed to review",
                "Σ views_total of labelled violating items",
                text=f"Σ views_total of the labelled-violating items among the top {k} of the "
                f"review queue (ranked as queue_precision_at_{k}). No interval. n = items "
                f"available in the top {k} (min({k}, queued items)).",
            ),
        ]
    rows += [
        Metric(
            "review_within_sla",
            "Reviewed within the SLA (of items sent to review)",
            "share",
            "items routed to review",
            "items a person reviewed within review_sla_hours of the decision",
            "items routed to review",
            "",
            WILSON,
            "Items routed to review (action = review) that a person reviewed (label_source = "
            "'review') within review_sla_hours of the decision ÷ items routed to review; items "
            f"not (yet) reviewed count as outside. Only when review_sla_hours is given. {WILSON} "
            "n = items routed to review.",
        ),
        Metric(
            "reviewer_hours",
            "Reviewer hours (items people reviewed)",
            "hours",
            "items reviewed by people",
            "items reviewed × review_minutes_per_item ÷ 60",
            text="Items reviewed by people (reviewed_at set and label_source = 'review'; "
            "imported labels excluded) × review_minutes_per_item ÷ 60. Only when "
            "review_minutes_per_item is given. No interval. n = reviewed items.",
        ),
    ]
    return rows


def _comparison() -> list[Metric]:
    """Metrics only the policy comparison has (it shares the table's names otherwise)."""
    labelled = "labelled items"
    return [
        Metric(
            "violating_unactioned_per_10k",
            "Violating items left unactioned per 10,000 labelled items",
            "per_10k",
            labelled,
            "labelled violating items never enforced",
            labelled,
            "× 10,000.",
            PAIRED,
        ),
        Metric(
            "views_before_action_mean_violating",
            "Mean views before action (violating enforced items)",
            "views",
            "enforced labelled violating items",
            "Σ views observed up to enforcement",
            "enforced labelled violating items",
            "Mean.",
            PAIRED,
        ),
        Metric(
            "violating_exposure",
            "Views of violating items before action",
            "views",
            "labelled violating items",
            "views before enforcement, or all recorded views when never enforced",
            "",
            "Sum.",
            PAIRED,
        ),
        Metric(
            "review_cost",
            "Review cost (items sent to review × cost per item)",
            "money",
            "items",
            "items sent to review × review cost per item (review_cost_per_item, else "
            "reviewer_cost_per_hour × review_minutes_per_item / 60)",
            "",
            "Sum over the compared items.",
            PAIRED,
        ),
        Metric(
            "wrongful_action_cost",
            "Wrongful-action cost (enforced non-violating items × cost per action)",
            "money",
            "enforced labelled non-violating items",
            "Σ wrongful-action cost of the action applied ('default' for actions without "
            "their own cost)",
            "",
            "Sum over the compared items.",
            PAIRED,
        ),
        Metric(
            "harm",
            "Harm (views of violating items × harm per view)",
            "money",
            "labelled violating items",
            "Σ exposure × harm per violating view of the segment's severity",
            "",
            "Sum over the compared items.",
            PAIRED,
        ),
        Metric(
            "total_cost",
            "Total cost (review + wrongful actions + harm)",
            "money",
            "items",
            "review cost + wrongful-action cost + harm",
            "",
            "Sum; not computed when any part is not.",
            PAIRED,
        ),
    ]


def _costs() -> list[Metric]:
    """The cost figures of ``impact.costs`` (simulate prints them as ``cost_<name>``)."""

    def figure(name: str, label: str, numerator: str, unit: Unit = "money") -> Metric:
        return Metric(name, label, unit, "items", numerator, "", "Sum.", "none")

    return [
        Metric(
            "fp_review_cost",
            "False-positive review cost per month",
            "money",
            "monthly uploads",
            "false_positive_rate_flagged × review cost per item × monthly volume",
            "",
            "Per month, at the configured monthly volume.",
            "the false-positive rate's interval carried through",
        ),
        figure(
            "review_labour",
            "Review labour (items people reviewed × cost per item)",
            "items reviewed by people × review cost per item",
        ),
        figure(
            "wrongful_actions",
            "Wrongful actions (stored decisions × cost per wrongful action)",
            "labelled non-violating enforced items × the action's wrongful-action cost",
        ),
        figure(
            "harm_avoided",
            "Harm avoided (views after action × harm per view)",
            "Σ views after action of enforced violating items × harm per view",
        ),
        figure(
            "residual_harm",
            "Residual harm (views of unactioned violating items × harm per view)",
            "Σ views of violating items never actioned × harm per view",
        ),
        figure(
            "viral_incidents",
            "Viral incidents not stopped",
            "violating items over the viral threshold not actioned before crossing it",
            "incidents",
        ),
        figure(
            "viral_damage",
            "Brand damage from viral incidents",
            "viral incidents × brand damage per incident",
        ),
        figure("net_value", "Net value", "harm avoided − review labour − wrongful-action cost"),
    ]


def _simulation() -> list[Metric]:
    """Truths only a simulation knows (no interval: one seeded run)."""

    def truth(name: str, label: str, unit: Unit, numerator: str) -> Metric:
        return Metric(name, label, unit, "simulated items", numerator, "", "Simulation truth.")

    return [
        truth("views_prevented", "Views prevented (all items)", "views", "views actions prevented"),
        truth(
            "violating_views_prevented",
            "Views of violating items prevented",
            "views",
            "views of violating items that actions prevented",
        ),
        truth(
            "violating_views_realised",
            "Views of violating items realised",
            "views",
            "views of violating items that happened",
        ),
        truth(
            "viral_deepfakes_without_moderation",
            "Viral violating deepfakes without moderation",
            "count",
            "violating items that would cross the viral threshold unmoderated",
        ),
        truth(
            "viral_deepfakes_stopped",
            "Viral violating deepfakes stopped",
            "count",
            "would-be viral violating items actioned before crossing the threshold",
        ),
        truth(
            "viral_deepfakes_not_stopped",
            "Viral violating deepfakes not stopped",
            "count",
            "would-be viral violating items not actioned in time",
        ),
        truth(
            "review_backlog_final",
            "Review backlog at the end of the run",
            "count",
            "items waiting for review when the run ends",
        ),
        truth(
            "review_backlog_max",
            "Largest review backlog during the run",
            "count",
            "most items waiting for review at any hour",
        ),
        Metric(
            "harm_prevented_simulated",
            "Harm prevented (simulation truth × harm per view)",
            "money",
            "simulated violating items",
            "views of violating items that actions prevented × harm per view",
            "",
            "Simulation truth.",
        ),
        Metric(
            "net_value_simulated",
            "Net value (simulated harm prevented − review labour − wrongful actions)",
            "money",
            "simulated items",
            "harm_prevented_simulated − review labour − wrongful-action cost",
            "",
            "Simulation truth.",
        ),
    ]


def _evaluation() -> list[Metric]:
    """Detector evaluation (``deepscreen train``/``eval``): over labelled images, with
    stratified bootstrap intervals (docs/metrics.md, 'Detector evaluation')."""
    interval = "95% stratified bootstrap over images"
    images = "labelled evaluation images"
    return [
        Metric(
            "auc",
            "AUC (area under the ROC curve)",
            "score",
            images,
            "P(score of an AI image > score of a real image)",
            "",
            "Rank statistic.",
            interval,
        ),
        Metric(
            "average_precision",
            "Average precision (area under the precision-recall curve)",
            "score",
            images,
            "Σ over thresholds of (recall step) × precision",
            "",
            "",
            interval,
        ),
        Metric(
            "tpr_at_1pct_fpr",
            "True-positive rate at a 1% false-positive rate",
            "score",
            images,
            "AI images scored above the threshold that flags 1% of real images",
            "AI images",
            "",
            interval,
        ),
        Metric(
            "tpr_at_5pct_fpr",
            "True-positive rate at a 5% false-positive rate",
            "score",
            images,
            "AI images scored above the threshold that flags 5% of real images",
            "AI images",
            "",
            interval,
        ),
        Metric(
            "ece",
            "Expected calibration error",
            "score",
            images,
            "Σ over score bins of |mean score − share AI| × bin share",
            "",
            "",
            interval,
        ),
    ]


def _takedown() -> list[Metric]:
    """Takedown requests (NCII under the TAKE IT DOWN Act, DSA notices): ``impact.takedown``."""
    requests = "takedown requests received in the window (notices with a type; not swept copies)"
    return [
        Metric(
            "takedown_requests",
            "Takedown requests received",
            "count",
            requests,
            "takedown requests",
            "",
            "Count; one notice id per request (the same request sent twice is one).",
            "none",
            "Takedown requests (NoticeReceived with a notice_type, not a swept copy) received in "
            "the window; the same request sent twice is one. No interval. n = requests.",
        ),
        Metric(
            "takedown_requests_unmatched",
            "Takedown requests naming no stored item",
            "count",
            requests,
            "requests whose item id, SHA-256 or URL matched no stored item",
            "",
            "Count.",
            "none",
            "Takedown requests whose item id, SHA-256 or URL named no stored item (recorded, no "
            "task). No interval. n = requests.",
        ),
        Metric(
            "takedown_requests_overdue",
            "Takedown requests past their deadline, not answered",
            "count",
            requests,
            "matched requests with neither a removal nor a review answer, past deadline_at",
            "",
            "Count at the report time.",
            "none",
            "Matched takedown requests with neither a removal nor a review answer whose deadline "
            "(deadline_at) has passed at the report time. No interval. n = requests.",
        ),
        Metric(
            "takedown_time_to_removal_median_hours",
            "Median time to removal of a takedown request (hours)",
            "hours",
            "takedown requests removed",
            "removed_at − received_at",
            "",
            "Median, linear interpolation; 0 for an item already removed when the request came.",
            QUANTILE_CI,
            "Median (linear interpolation) of removed_at − received_at in hours over takedown "
            "requests whose item was removed (0 when it was already removed when the request "
            f"came). {QUANTILE_CI} n = requests removed.",
        ),
        Metric(
            "takedown_removed_within_deadline",
            "Takedown requests removed within the deadline",
            "share",
            "matched requests not rejected whose outcome at the deadline is known",
            "requests removed at or before deadline_at",
            "matched requests not rejected, removed or past their deadline",
            "k ÷ n; a request answered by another restricting action than removal counts as "
            "not removed.",
            WILSON,
            "Matched takedown requests removed at or before their deadline_at ÷ matched requests "
            "not rejected that were removed or whose deadline has passed (a request still within "
            "its deadline is left out; one restricted otherwise than by removal counts as not "
            f"removed). {WILSON} n = those requests.",
        ),
        Metric(
            "takedown_copies_removed",
            "Copies of removed takedown items removed",
            "count",
            "items other than the requests' own matching the takedown bank",
            "copies removed in a sweep of stored items + copies removed at upload",
            "",
            "Count.",
            "none",
            "Items other than the requests' own removed as copies of a removed takedown item: "
            "found by a sweep of stored items (NoticeReceived with copy_of, removal recorded by "
            "deepscreen:takedown-sweep), or removed at upload (automated decision remove on a "
            "takedown bank match). No interval. n = copies.",
        ),
    ]


def _registry() -> dict[str, Metric]:
    out: dict[str, Metric] = {}
    families = [_table(), _comparison(), _costs(), _simulation(), _evaluation(), _takedown()]
    for metric in (m for family in families for m in family):
        if metric.name in out:
            raise AssertionError(f"metric {metric.name} defined twice")
        out[metric.name] = metric
    return out


REGISTRY: Mapping[str, Metric] = MappingProxyType(_registry())
"""Every fixed-name metric, by name."""

TABLE_METRICS: tuple[str, ...] = tuple(m.name for m in _table())
"""The impact metric table's metrics, in row order."""

_SCALED = {
    "_per_day": (" a day", "÷ the window's days"),
    "_per_month": (" a month", "÷ compared items × monthly volume (uploads a month)"),
}


def lookup(name: str) -> Metric | None:
    """The metric called ``name``, or None. Derived names are defined too:
    ``action_share.<action>``, ``<metric>_per_day``/``_per_month`` (a linear rescaling),
    ``reviewer_hours_per_day`` and simulate's ``cost_<figure>``."""
    if name in REGISTRY:
        return REGISTRY[name]
    if name.startswith("action_share."):
        action = name.removeprefix("action_share.")
        return Metric(
            name,
            f"Share of items decided {action.replace('_', ' ')}",
            "share",
            "items compared",
            f"items whose automated decision is {action}",
            "items compared",
            "",
            PAIRED,
        )
    if name.startswith("cost_") and name.removeprefix("cost_") in REGISTRY:
        return replace(REGISTRY[name.removeprefix("cost_")], name=name)
    if name == "reviewer_hours_per_day":
        return Metric(
            name,
            "Reviewer hours a day (items sent to review)",
            "hours",
            "items sent to review",
            "sent_to_review × review_minutes_per_item ÷ 60 ÷ the window's days",
            "",
            "Linear rescaling of sent_to_review.",
            PAIRED,
        )
    for suffix, (words, how) in _SCALED.items():
        base = lookup(name.removesuffix(suffix)) if name.endswith(suffix) else None
        if base is not None:
            label = base.label.split(" (")
            label[0] += words
            return replace(
                base,
                name=name,
                label=" (".join(label),
                estimator=f"{base.name} {how} (a linear rescaling).",
                text="",
            )
    return None


def metric(name: str) -> Metric:
    """The metric called ``name``; KeyError for an unknown name."""
    found = lookup(name)
    if found is None:
        raise KeyError(name)
    return found


def label(name: str) -> str:
    """The human label of ``name`` (the name itself when it is not a known metric)."""
    found = lookup(name)
    return name if found is None else found.label


def unit(name: str) -> Unit:
    found = lookup(name)
    return "count" if found is None else found.unit


def is_share(name: str) -> bool:
    """Whether ``name`` is a proportion in [0, 1] (printed as a percentage)."""
    return unit(name) == "share"


def definition(name: str) -> str:
    return metric(name).definition


def table_metrics() -> Iterator[Metric]:
    for name in TABLE_METRICS:
        yield REGISTRY[name]


REFERENCE_START = "<!-- metric-reference:start (generated by core.metrics.reference_markdown) -->"
REFERENCE_END = "<!-- metric-reference:end -->"


_SHORT_INTERVALS = {
    WILSON: "Wilson 95% (rule of three at k = 0)",
    QUALITY_CI: "Wilson 95%; Hájek-weighted: percentile bootstrap",
    QUANTILE_CI: "exact bootstrap percentile interval of the order statistics, 95%",
    PAIRED: "paired percentile bootstrap 95%, of the change between two policies",
}


def reference_markdown() -> str:
    """Every fixed-name metric as a Markdown table (docs/metrics.md, 'Metric reference')."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|") or "—"

    lines = [
        "| name | label | unit | population | numerator | denominator | interval |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in REGISTRY.values():
        interval = _SHORT_INTERVALS.get(m.interval, m.interval)
        lines.append(
            f"| `{m.name}` | {cell(m.label)} | {m.unit} | {cell(m.population)} | "
            f"{cell(m.numerator)} | {cell(m.denominator)} | {cell(interval)} |"
        )
    return "\n".join([REFERENCE_START, *lines, REFERENCE_END])
