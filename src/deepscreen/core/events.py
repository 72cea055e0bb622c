"""The events deepscreen records. Nothing is edited in place: a review is a new event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.media import AttributeValue, ItemId, MediaKind
from deepscreen.core.signals import SignalResult


class Verdict(StrEnum):
    """A reviewer's (or a ground-truth label's) answer: does the item violate the policy?"""

    VIOLATING = "violating"
    NOT_VIOLATING = "not_violating"


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemIngested:
    type: Literal["item_ingested"] = "item_ingested"
    item_id: ItemId
    occurred_at: datetime
    kind: MediaKind
    mime: str
    width: int
    height: int
    size_bytes: int
    source: str = ""
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalsComputed:
    type: Literal["signals_computed"] = "signals_computed"
    item_id: ItemId
    occurred_at: datetime
    results: tuple[SignalResult, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionMade:
    type: Literal["decision_made"] = "decision_made"
    item_id: ItemId
    occurred_at: datetime
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class ShadowDecisionMade:
    """What a candidate policy revision running in shadow decided on the same inputs as the
    active one: recorded, never applied (no read model, no enforcement), compared by
    ``deepscreen impact compare --shadow REVISION``."""

    type: Literal["shadow_decision_made"] = "shadow_decision_made"
    item_id: ItemId
    occurred_at: datetime
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewCompleted:
    """A human (or an imported ground-truth label) judged an item.

    ``reviewer`` names who: a person's id, or e.g. ``label-import:<file>`` for label files.
    ``label`` is the finer class (``ai_generated``, ``deepfake``, ``real``, ...).
    """

    type: Literal["review_completed"] = "review_completed"
    item_id: ItemId
    occurred_at: datetime
    verdict: Verdict
    reviewer: str
    label: str = ""
    reason_code: str = ""
    decision_id: str | None = None
    action: Action | None = None
    """The action applied after the review (None: not recorded, e.g. imported labels)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewsObserved:
    """``views`` new views of an item counted in the window ending at ``occurred_at``."""

    type: Literal["views_observed"] = "views_observed"
    item_id: ItemId
    occurred_at: datetime
    views: int

    def __post_init__(self) -> None:
        if self.views < 0:
            raise ValueError(f"views must be >= 0, got {self.views!r}")


class AppealOutcome(StrEnum):
    """The DSA's appeal scopes (Art. 20; transparency template sheet 7), verbatim."""

    UPHELD = "upheld"
    PARTIALLY_REVERSED = "partially_reversed"
    REVERSED = "reversed"
    OMITTED = "omitted"


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealResolved:
    """An appeal against an action on the item, received at ``received_at`` and decided at
    ``occurred_at``. ``reversed``/``partially_reversed`` count as overturned."""

    type: Literal["appeal_resolved"] = "appeal_resolved"
    item_id: ItemId
    occurred_at: datetime
    received_at: datetime
    outcome: AppealOutcome
    decision_id: str | None = None

    def __post_init__(self) -> None:
        if self.received_at > self.occurred_at:
            raise ValueError("an appeal cannot be decided before it was received")


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemRestored:
    """An enforcing action on the item was undone — Meta's "restored content": removed content
    returned, a cover or label taken off — e.g. because an appeal reversed it.

    A dedicated event rather than a ``DecisionMade`` with action ``allow``: a restoration is no
    policy evaluation (no inputs, no rule fired), and the decision log must keep saying what the
    policy decided — replay, shadow comparison and the impact summary read decisions as policy
    output, and a later ``allow`` would erase the very false positive the appeal revealed.
    ``decision_id`` names the enforcing decision undone; ``appealed`` tells restorations after an
    appeal from the platform's own (both are reported, METRICS §1.1).
    """

    type: Literal["item_restored"] = "item_restored"
    item_id: ItemId
    occurred_at: datetime
    decision_id: str | None = None
    appealed: bool = True


class Notifier(StrEnum):
    USER = "user"
    TRUSTED_FLAGGER = "trusted_flagger"
    AUTHORITY = "authority"


class NoticeType(StrEnum):
    """What a takedown request claims: ``ncii``, non-consensual intimate imagery, AI deepfakes
    included (US TAKE IT DOWN Act: removal within 48 hours of a valid request);
    ``dsa_illegal_content``, a notice of illegal content under the EU DSA (Art. 16);
    ``other``."""

    NCII = "ncii"
    DSA_ILLEGAL_CONTENT = "dsa_illegal_content"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeReceived:
    """Someone outside the platform's own detection reported the item (a DSA notice).

    A plain user report carries only ``notifier``. A takedown request (``notice_type`` set)
    also carries its ``notice_id`` (one id per request: the same request again is the same
    notice), its legal ``deadline_at``, how the requester named the item (``reference``: an
    item id, ``sha256:<hex>`` or a URL), whether a stored item was found (``matched``; when
    not, ``item_id`` is the reference's key, e.g. ``sha256:<hex>`` or ``url:<hash>``), the
    requester's ``statement`` and ``contact`` (personal data: never logged nor exported) and
    their good-faith declaration. ``copy_of`` marks a copy found by the takedown sweep: a
    stored item matching the hashes banked when the request's item (``copy_of``) was removed,
    recorded under the same ``notice_id`` (it is no request of its own).
    """

    type: Literal["notice_received"] = "notice_received"
    item_id: ItemId
    occurred_at: datetime
    notifier: Notifier = Notifier.USER
    notice_id: str | None = None
    notice_type: NoticeType | None = None
    deadline_at: datetime | None = None
    reference: str = ""
    matched: bool = True
    copy_of: ItemId | None = None
    statement: str = ""
    contact: str = ""
    good_faith: bool = False

    @property
    def is_takedown_request(self) -> bool:
        """A takedown request (not a plain report, not a swept copy)."""
        return self.notice_type is not None and self.copy_of is None


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelSampled:
    """The item was drawn into a labelling sample with this inclusion probability.

    Estimators weight its label by ``1 / inclusion_probability`` (Horvitz–Thompson / Hájek), so
    precision and recall are estimated without labelling everything.
    """

    type: Literal["label_sampled"] = "label_sampled"
    item_id: ItemId
    occurred_at: datetime
    sample_id: str
    stratum: str
    inclusion_probability: float

    def __post_init__(self) -> None:
        if not 0.0 < self.inclusion_probability <= 1.0:
            raise ValueError(
                f"inclusion_probability must be in (0, 1], got {self.inclusion_probability!r}"
            )


Event = (
    ItemIngested
    | SignalsComputed
    | DecisionMade
    | ShadowDecisionMade
    | ReviewCompleted
    | ViewsObserved
    | AppealResolved
    | ItemRestored
    | NoticeReceived
    | LabelSampled
)
EVENT_TYPES: tuple[str, ...] = (
    "item_ingested",
    "signals_computed",
    "decision_made",
    "shadow_decision_made",
    "review_completed",
    "views_observed",
    "appeal_resolved",
    "item_restored",
    "notice_received",
    "label_sampled",
)
