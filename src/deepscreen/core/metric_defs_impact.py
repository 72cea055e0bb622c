"""The impact metric table's metric definitions, in its row order (data: one ``Metric`` per
row; precision, recall and false-positive rate per action)."""

from __future__ import annotations

from deepscreen.core.metric_types import (
    _TTA,
    ANY_ACTION,
    ENFORCEMENT_ACTIONS,
    FLAGGED,
    QUALITY_CI,
    QUANTILE_CI,
    QUEUE_KS,
    VBA_BUCKETS,
    WILSON,
    Metric,
)

_WORDING: dict[str, tuple[str, str]] = {
    FLAGGED: (
        "flagged (automated decision other than allow, review included)",
        "flagged: any decision but allow, incl. review",
    ),
    ANY_ACTION: ("enforced (any action)", "enforced: any restricting action"),
}
"""How definitions and, short, labels name the two aggregate actions."""


def _wording(action: str) -> tuple[str, str]:
    """``action`` as definitions name it (items "flagged …") and, short, as labels do."""
    return _WORDING.get(action) or (
        f"enforced with action {action!r} (enforced_action)",
        f"enforced: {action.replace('_', ' ')}",
    )


def _quality(action: str) -> list[Metric]:
    acted, short = _wording(action)
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
