"""The transparency-report templates' texts, verbatim (headers, indicators, scopes), and which
DSA restriction and complaint codes each column or row counts (docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Mapping

from deepscreen.compliance.sor import VISIBILITY_BY_ACTION

ALL = "All"
ONLINE_PLATFORMS = "Only for providers of online platforms"
TOTAL = "TOTAL"
OWN_INITIATIVE = "SOURCE_VOLUNTARY"
FULLY_AUTOMATED = "AUTOMATED_DECISION_FULLY"
ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
KEYWORD_OTHER = "KEYWORD_OTHER"
CONTEXT_PREFIX = "Contextual Information on "
HOUR_SECONDS = 3600.0

# --------------------------------------------------------------------------- sheets 5 and 6

MEASURES = "Number of measures taken at the provider's own initiative "
SOLELY_AUTOMATED = "Number of measures taken after detection with solely automated means "

RESTRICTION_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "Visibility restriction Removal": ("DECISION_VISIBILITY_CONTENT_REMOVED",),
    "Visibility restriction Disable": ("DECISION_VISIBILITY_CONTENT_DISABLED",),
    "Visibility restriction Demoted": ("DECISION_VISIBILITY_CONTENT_DEMOTED",),
    "Visibility restriction Age restricted": ("DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",),
    "Visibility restriction Interaction restricted": (
        "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    ),
    "Visibility restriction Labelled ": ("DECISION_VISIBILITY_CONTENT_LABELLED",),
    "Visibility restriction Other": ("DECISION_VISIBILITY_OTHER",),
    "Monetary restriction Suspension": ("DECISION_MONETARY_SUSPENSION",),
    "Monetary restriction Termination": ("DECISION_MONETARY_TERMINATION",),
    "Monetary restriction Other": ("DECISION_MONETARY_OTHER",),
    "Provision of the service Suspension": (
        "DECISION_PROVISION_PARTIAL_SUSPENSION",
        "DECISION_PROVISION_TOTAL_SUSPENSION",
    ),
    "Provision of the service Termination": (
        "DECISION_PROVISION_PARTIAL_TERMINATION",
        "DECISION_PROVISION_TOTAL_TERMINATION",
    ),
    "Account restriction Suspension": ("DECISION_ACCOUNT_SUSPENDED",),
    "Account restriction Termination": ("DECISION_ACCOUNT_TERMINATED",),
}
"""Sheet 5/6 restriction column → the SoR ``decision_*`` codes it counts (docs/metrics.md,
'Transparency report')."""

RESTRICTION_FIELDS = (
    "decision_visibility",
    "decision_monetary",
    "decision_provision",
    "decision_account",
)

VALUE_COLUMNS: tuple[str, ...] = (MEASURES, SOLELY_AUTOMATED, *RESTRICTION_COLUMNS)


def _own_initiative_header(category_column: str) -> tuple[str, ...]:
    return (
        "Applicability",
        "Service",
        "Reporting period",
        category_column,
        'Description of the sub-category "Other"',
        *VALUE_COLUMNS,
        *(CONTEXT_PREFIX + column for column in VALUE_COLUMNS),
    )


PART_5_HEADER = _own_initiative_header("Category of illegal content")
PART_6_HEADER = _own_initiative_header(
    "Category of incompatibility with the provider's terms and conditions"
)

IMPOSABLE: frozenset[str] = frozenset(VISIBILITY_BY_ACTION.values())
"""The SoR restriction codes deepscreen's actions can produce (label, downrank, age gate,
removal): every other restriction column is blank (never applies) unless a statement has it."""

# --------------------------------------------------------------------------- sheets 7 and 8

INDICATOR_HEADER = (
    "Applicability",
    "Service",
    "Reporting period",
    "Section",
    "Indicator",
    "Scope",
    "Value",
    "Contextual Information",
)
PART_1_HEADER = ("Applicability", "Service", "Indicator", "Value")

INTERNAL = "Internal complaints mechanism"
OUT_OF_COURT = "Out-of-court dispute settlement bodies"
REPEATED = "Suspensions imposed on repeated offenders"
COMPLAINTS = "Number of complaints submitted to the internal-complaints mechanism"
NEWLY_IMPOSED = "Number of restrictions newly imposed as a result of an internal complaint"
DISPUTES = "Number of disputes submitted to out-of-court dispute settlement bodies"
SUSPENSIONS = (
    "Number of suspensions enacted for the provision of manifestly illegal content ",
    "Number of suspensions enacted for the provision of manifestly unfounded notices",
    "Number of suspensions enacted for the provision of manifestly unfounded complaints",
)

S_TOTAL = "Total number"
S_UPHELD = "Decisions upheld"
S_PARTIAL = "Decisions partially reversed"
S_REVERSED = "Decisions reversed"
S_MEDIAN = "Median time"
S_OMITTED = "Decision omitted"
S_IMPLEMENTED = "Percentage of outcomes implemented"
S_OWN = "Own-initiative "

OUTCOME_SCOPES: Mapping[str, str] = {
    "upheld": S_UPHELD,
    "partially_reversed": S_PARTIAL,
    "reversed": S_REVERSED,
    "omitted": S_OMITTED,
}
"""``AppealOutcome`` values → the sheet 7 scopes (the same four, verbatim in the DSA)."""

COMPLAINT_INDICATORS: Mapping[str, str] = {
    "visibility": (
        "Complaint regarding a decision to remove or disable access to or restrict visibility "
        "of information"
    ),
    "provision": (
        "Complaint regarding a decision to suspend or terminate the provision of the service"
    ),
    "account": "Complaint regarding a decision to suspend or terminate an account ",
    "monetary": "Complaint regarding a decision to restrict the ability to monetise information",
    "notice": (
        "Complaint regarding a decision not to take action on a notice submitted in accordance "
        "with Article 16"
    ),
    "trusted_flagger": (
        "Complaint regarding a decision not to take action on a notice submitted by a Trusted "
        "Flagger in accordance with Article 16"
    ),
}
"""What a complaint is against (``Complaint.against``) → its sheet 7 indicator."""

COMPLAINT_PATHS: frozenset[str] = frozenset({"visibility"})
"""deepscreen takes complaints only against its (visibility) restrictions; the other indicators
never apply and stay blank, as does "restrictions newly imposed" (only a complaint against a
decision not to act can impose one)."""

AUTOMATED_SECTION = "Use of automated means for content moderation"
SOLELY_BY_AUTOMATED = "Number of measures solely taken by automated means "
NOT_BY_AUTOMATED = "Number of measures not taken by automated means"
QUALITY_INDICATORS: Mapping[str, str] = {
    "accuracy": "Accuracy of the automated means - Accuracy",
    "precision": "Accuracy of the automated means - Precision",
    "recall": "Accuracy of the automated means - Recall",
}

CSER_HEADER = (
    "quarter",
    "reporting_period",
    "uploads",
    "violating_per_10k_uploads",
    "violating_per_10k_uploads_ci_low",
    "violating_per_10k_uploads_ci_high",
    "labelled_items",
    "actioned",
    "proactive_rate",
    "appealed",
    "restored",
    "restored_with_appeal",
    "restored_without_appeal",
)
"""deepscreen's CSER-style quarterly table (Meta's five metrics, docs/metrics.md, 'Transparency
report')."""
