"""Decisions, signals and the policy's explanation, as the API returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from deepscreen.core.decisions import Decision
from deepscreen.core.signals import SignalResult
from deepscreen.service.policy import Explanation
from deepscreen.service.scan import ScanOutcome


class SignalOut(BaseModel):
    """One detector's result: a score in [0, 1] (evidence of AI generation), or an abstention
    ("cannot tell", never "authentic") with its reason."""

    detector: str
    version: str
    score: float | None = Field(description="0..1; null when the detector abstained.")
    abstained: bool
    reason: str | None = Field(description="Why the detector abstained.")
    evidence: dict[str, Any] = Field(description="Bounded JSON evidence with a `summary`.")

    @classmethod
    def of(cls, s: SignalResult) -> SignalOut:
        return cls(
            detector=s.detector,
            version=s.version,
            score=s.score,
            abstained=s.abstained,
            reason=s.abstain_reason,
            evidence=dict(s.evidence),
        )


class DecisionOut(BaseModel):
    decision_id: str
    item_id: str
    policy_revision: str = Field(description="Content hash of the policy bundle that decided.")
    rule_id: str | None = Field(description="The rule that fired; null: the policy default.")
    action: str = Field(description="allow, label, downrank, age_gate, remove or review.")
    action_params: dict[str, str]
    decided_at: datetime
    detector_versions: dict[str, str]
    errors: list[str] = Field(description="Rule evaluation errors (then on_error applied).")

    @classmethod
    def of(cls, d: Decision) -> DecisionOut:
        return cls(
            decision_id=d.decision_id,
            item_id=d.item_id,
            policy_revision=d.policy_revision,
            rule_id=d.rule_id,
            action=d.action.value,
            action_params=dict(d.action_params),
            decided_at=d.decided_at,
            detector_versions=dict(d.detector_versions),
            errors=list(d.errors),
        )


class RuleOutcome(BaseModel):
    rule: str
    outcome: str = Field(description="matched, not_matched or error.")
    error: str | None = None


class ExplanationOut(BaseModel):
    """Why the policy decided so: the rule that fired and the revision, and — when the running
    server loaded that revision — every rule's outcome on the recorded inputs."""

    policy_revision: str
    rule: str = Field(description="The rule that fired, or `default`.")
    action: str
    rules: list[RuleOutcome] | None = Field(
        description="Each rule's outcome in order; null when another revision decided."
    )
    inputs: dict[str, Any] = Field(description="The exact values the policy evaluated.")

    @classmethod
    def of(cls, d: Decision, explanation: Explanation | None) -> ExplanationOut:
        rules = None
        if explanation is not None:
            rules = [
                RuleOutcome(rule=t.rule_id, outcome=t.outcome.value, error=t.error)
                for t in explanation.traces
            ]
        return cls(
            policy_revision=d.policy_revision,
            rule=d.rule_id or "default",
            action=d.action.value,
            rules=rules,
            inputs=dict(d.inputs),
        )


class ScanResult(BaseModel):
    item_id: str = Field(description="`sha256:<hex>` of the media bytes.")
    source: str = Field(description="The upload's filename or the fetched URL.")
    already_stored: bool = Field(description="The item was scanned before: nothing new written.")
    current_action: str = Field(
        description="The action to apply to this upload now: the automated decision's, or — "
        "for an item stored before — the restriction a person applied since (a review or a "
        "takedown removal), so a re-upload of removed bytes is removed too."
    )
    decision: DecisionOut
    signals: list[SignalOut]
    explanation: ExplanationOut

    @classmethod
    def of(cls, outcome: ScanOutcome, explanation: Explanation | None) -> ScanResult:
        return cls(
            item_id=outcome.item_id,
            source=outcome.source,
            already_stored=outcome.already_stored,
            current_action=(outcome.current_action or outcome.decision.action).value,
            decision=DecisionOut.of(outcome.decision),
            signals=[SignalOut.of(s) for s in outcome.signals],
            explanation=ExplanationOut.of(outcome.decision, explanation),
        )


class DecisionList(BaseModel):
    decisions: list[DecisionOut] = Field(description="In the order they were recorded.")
    next: str | None = Field(description="URL of the next page; null on the last page.")
