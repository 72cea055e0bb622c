"""Metric definitions of the policy comparison and of the cost figures (data)."""

from __future__ import annotations

from deepscreen.core.metric_types import PAIRED, Metric, Unit


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
