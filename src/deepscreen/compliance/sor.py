"""Map one restricting decision to an EU DSA statement of reasons (docs/metrics.md, 'Statements of
reasons'). Pure: plain data in (``Restriction``, ``SorConfig``); reviewer identities, uploader and
item ids and signal values are never exported (DSA Art. 24(5): no personal data)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deepscreen.compliance.codes import EU_COUNTRY_CODES

VISIBILITY_BY_ACTION: dict[str, str] = {
    "label": "DECISION_VISIBILITY_CONTENT_LABELLED",
    "downrank": "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "age_gate": "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "remove": "DECISION_VISIBILITY_CONTENT_REMOVED",
}
"""Our restricting actions and the database's visibility restriction each one is."""

CONTENT_TYPE_BY_KIND: dict[str, str] = {
    "image": "CONTENT_TYPE_IMAGE",
    "video": "CONTENT_TYPE_VIDEO",
    "audio": "CONTENT_TYPE_AUDIO",
}

DEFAULT_INCOMPATIBLE_EXPLANATION = (
    "The content was identified as AI-generated or manipulated media that breaches the "
    "terms of service on synthetic media (e.g. it was not disclosed as such)."
)

PUID_PATTERN = re.compile(r"^[a-zA-Z0-9\-_]+$")
PUID_MAX_CHARS = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class SorConfig:
    """The platform's values for every statement (``[dsa]`` settings; defaults documented there).

    ``decision_ground`` selects which pair of ground texts is sent: the ``incompatible_*`` pair
    for ``DECISION_GROUND_INCOMPATIBLE_CONTENT``, the ``illegal_*`` pair otherwise.
    """

    decision_ground: str = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    incompatible_content_ground: str = "Terms of Service: synthetic and manipulated media"
    incompatible_content_explanation: str = DEFAULT_INCOMPATIBLE_EXPLANATION
    incompatible_content_illegal: str | None = None
    illegal_content_legal_ground: str = ""
    illegal_content_explanation: str = ""
    decision_ground_reference_url: str | None = None
    category: str = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    category_specification: tuple[str, ...] = ("KEYWORD_OTHER",)
    category_specification_other: str | None = "Undisclosed AI-generated or manipulated media"
    territorial_scope: tuple[str, ...] = EU_COUNTRY_CODES
    content_language: str | None = None
    account_type: str | None = None
    source_type: str = "SOURCE_VOLUNTARY"
    source_identity: str | None = None
    puid_prefix: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Restriction:
    """One applied restriction, as the shell derived it from the event log.

    ``action`` is a restricting action (``VISIBILITY_BY_ACTION``); ``content_at`` is when the
    item was posted (ingested), ``applied_at`` when the restriction started (the decision, or
    the human review for a decision that routed to review). ``human_reviewed`` is True when a
    person confirmed the violation; ``human_decided`` when the policy only routed the item to
    review and a person chose the action.
    """

    decision_id: str
    action: str
    media_kind: str
    policy_revision: str
    rule_id: str | None
    content_at: datetime
    applied_at: datetime
    human_reviewed: bool = False
    human_decided: bool = False
    basis: str = "policy"
    """``policy``: the platform's own detection; ``notice``: a notice (a DSA notice, a
    takedown request) reported the item and a reviewer decided; ``notice_copy``: the item
    matched the hash of an item removed on a notice and was removed automatically."""
    source_type: str | None = None
    """The statement's source for a notice (``SOURCE_ARTICLE_16``, ...); None: the
    configured one (own initiative by default)."""


def puid_for(decision_id: str, prefix: str = "") -> str:
    """The statement's platform unique id: stable for a decision, never shared by two.

    The decision id itself when it fits the database's pattern; otherwise (or when too long) a
    SHA-256 of it, so the same decision always maps to the same puid.
    """
    candidate = f"{prefix}{decision_id}"
    if PUID_PATTERN.match(candidate) and len(candidate) <= PUID_MAX_CHARS:
        return candidate
    return f"{prefix}sha256-{hashlib.sha256(decision_id.encode()).hexdigest()}"


def automated_decision_for(restriction: Restriction) -> str:
    """Fully automated unless a person confirmed or chose the action (then partially: the
    detection and routing were automated, the judgement human — docs/metrics.md, 'Statements of
    reasons')."""
    if restriction.basis == "notice":
        return "AUTOMATED_DECISION_NOT_AUTOMATED"  # a person read the notice and decided
    if restriction.human_reviewed or restriction.human_decided:
        return "AUTOMATED_DECISION_PARTIALLY"
    return "AUTOMATED_DECISION_FULLY"


def decision_facts(restriction: Restriction) -> str:
    """Facts and circumstances, without personal data: which rule of which revision, and how."""
    if restriction.basis == "notice":
        return (
            f"A notice reported the {restriction.media_kind} as content to take down; a human "
            f"reviewer assessed it, confirmed the violation and applied the action "
            f"{restriction.action!r}."
        )
    if restriction.basis == "notice_copy":
        return (
            f"The {restriction.media_kind} matched, by perceptual hash (PDQ), an item removed "
            f"after a notice and a human review; it was removed automatically as a copy "
            f"(action {restriction.action!r})."
        )
    rule = f"rule {restriction.rule_id!r}" if restriction.rule_id else "the policy default"
    facts = (
        f"Automated detectors scored the {restriction.media_kind} for signs of AI generation "
        f"or manipulation; {rule} of moderation policy revision "
        f"{restriction.policy_revision!r} "
    )
    if restriction.human_decided:
        facts += (
            f"sent it to human review, and a reviewer confirmed the violation and applied "
            f"the action {restriction.action!r}."
        )
    else:
        facts += f"applied the action {restriction.action!r}."
        if restriction.human_reviewed:
            facts += " A human reviewer later confirmed the violation."
    return facts


def statement_of_reasons(restriction: Restriction, config: SorConfig) -> dict[str, Any]:
    """The statement as the API's ``POST /api/v1/statement(s)`` expects it (absent = omitted)."""
    visibility = VISIBILITY_BY_ACTION.get(restriction.action)
    if visibility is None:
        raise ValueError(f"action {restriction.action!r} restricts nothing; no statement is due")
    carrier = CONTENT_TYPE_BY_KIND.get(restriction.media_kind, "CONTENT_TYPE_OTHER")
    statement: dict[str, Any] = {
        "decision_visibility": [visibility],
        "decision_ground": config.decision_ground,
        "content_type": [carrier, "CONTENT_TYPE_SYNTHETIC_MEDIA"],
        "category": config.category,
        "territorial_scope": list(config.territorial_scope),
        "content_date": restriction.content_at.date().isoformat(),
        "application_date": restriction.applied_at.date().isoformat(),
        "decision_facts": decision_facts(restriction),
        "source_type": restriction.source_type or config.source_type,
        "automated_detection": "No" if restriction.basis == "notice" else "Yes",
        "automated_decision": automated_decision_for(restriction),
        "puid": puid_for(restriction.decision_id, config.puid_prefix),
    }
    if carrier == "CONTENT_TYPE_OTHER":
        statement["content_type_other"] = f"{restriction.media_kind} media"
    if config.decision_ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT":
        statement["incompatible_content_ground"] = config.incompatible_content_ground
        statement["incompatible_content_explanation"] = config.incompatible_content_explanation
        optional_ground = {"incompatible_content_illegal": config.incompatible_content_illegal}
    else:
        statement["illegal_content_legal_ground"] = config.illegal_content_legal_ground
        statement["illegal_content_explanation"] = config.illegal_content_explanation
        optional_ground = {}
    optional = {
        **optional_ground,
        "decision_ground_reference_url": config.decision_ground_reference_url,
        "category_specification": list(config.category_specification) or None,
        "category_specification_other": config.category_specification_other,
        "content_language": config.content_language,
        "account_type": config.account_type,
        # The database drops source_identity for voluntary decisions (docs/metrics.md, 'Statements
        # of reasons').
        "source_identity": None
        if config.source_type == "SOURCE_VOLUNTARY" or restriction.source_type is not None
        else config.source_identity,
    }
    statement.update({k: v for k, v in optional.items() if v})
    return statement
