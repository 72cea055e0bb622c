"""Counterfactual replay, pure: a candidate policy re-evaluated (an ``Evaluate`` callable) on the
inputs each stored decision recorded, the item table rebuilt from events the store codec decodes
and encodes. Method and caveats: docs/internals/impact.md."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.core.decisions import Decision
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import (
    DecisionMade,
    Event,
    ItemIngested,
    ShadowDecisionMade,
    SignalsComputed,
)
from deepscreen.impact.compare import Comparison
from deepscreen.impact.items import UTC_US, build_items


class Candidate(Protocol):
    """A candidate policy: its revision names the replayed decisions."""

    @property
    def revision(self) -> str: ...


class Evaluate(Protocol):
    """The policy evaluation (``policy.evaluate.evaluate``): candidate + inputs → decision."""

    def __call__(
        self,
        candidate: Any,
        inputs: Mapping[str, Any],
        /,
        *,
        item_id: str,
        decision_id: str,
        decided_at: datetime,
    ) -> Decision: ...


@dataclass(frozen=True)
class ReplayPorts:
    """What replay needs from the policy and the store, passed in by the service."""

    evaluate: Evaluate
    stored_inputs: Callable[[SignalsComputed, ItemIngested], Mapping[str, Any]]
    """The inputs a decision was taken on, from its item's stored events
    (``policy.evaluate.stored_inputs``)."""
    decode: Callable[[str], Event]
    """An event's JSON payload → the event (``store.events.codec.decode_event``)."""
    encode: Callable[[Event], str]
    """An event → its JSON payload, as the store writes it (``store.events.codec``)."""


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """One item's first stored decision and the inputs to re-evaluate it on."""

    item_id: str
    decision_id: str
    policy_revision: str
    decided_at: datetime
    seq: int
    inputs: Mapping[str, Any]
    inputs_from: str
    """``"decision"`` (the recorded inputs: exact) or ``"events"`` (rebuilt from the events)."""


@dataclass(frozen=True)
class Replay:
    """Both item tables (``ITEM_SCHEMA``) over the same items, in the same row order."""

    baseline: pa.Table
    candidate: pa.Table
    candidate_revision: str
    baseline_revisions: tuple[str, ...]
    since: datetime | None
    until: datetime | None
    in_period: int
    """Items ingested in the period (any revision, with or without a decision)."""
    lacking_signals: int
    """Items selected but left out: no recorded inputs and no stored ``SignalsComputed``."""
    undecided: int
    """Items in the period without any stored decision (left out)."""
    other_revisions: int
    """Items in the period decided by another revision than the requested baseline."""
    without_shadow: int = 0
    """Shadow comparisons: selected items with no shadow decision of the candidate revision
    (left out)."""
    source: str = "replay"
    """``"replay"`` (the candidate re-evaluated on stored inputs) or ``"shadow"`` (the
    candidate's decisions recorded live, in shadow)."""

    @property
    def replayed(self) -> int:
        return int(self.baseline.num_rows)

    def changed(self) -> pa.Table:
        """Items whose action or rule differs: item_id, baseline and candidate rule/action."""
        base, cand = self.baseline, self.candidate
        before = zip(base["action"].to_pylist(), base["rule_id"].to_pylist(), strict=True)
        after = zip(cand["action"].to_pylist(), cand["rule_id"].to_pylist(), strict=True)
        differs = pa.array([b != c for b, c in zip(before, after, strict=True)], pa.bool_())
        return pa.table(
            {
                "item_id": base["item_id"],
                "baseline_rule_id": base["rule_id"],
                "baseline_action": base["action"],
                "candidate_rule_id": cand["rule_id"],
                "candidate_action": cand["action"],
            }
        ).filter(differs)


@dataclass(frozen=True)
class ReplaySet:
    """The stored items of a period (optionally of one baseline revision), ready to replay.

    Reading and decoding the log happens once; ``baseline()`` and ``replay()`` reuse it.
    """

    events: pa.Table
    """The events of the selected items only (``EVENTS_SCHEMA``)."""
    decisions: tuple[StoredDecision, ...]
    ports: ReplayPorts
    since: datetime | None
    until: datetime | None
    baseline_revision: str | None
    in_period: int
    lacking_signals: int
    undecided: int
    other_revisions: int
    segment_attribute: str = "category"
    score_signal: str = "ensemble"

    @property
    def baseline_revisions(self) -> tuple[str, ...]:
        counts = Counter(d.policy_revision for d in self.decisions)
        return tuple(sorted(counts, key=lambda r: (-counts[r], r)))

    @property
    def signal_names(self) -> frozenset[str]:
        """Detector names present in the stored inputs: what a candidate bundle may read."""
        return frozenset(name for d in self.decisions for name in d.inputs.get("signals", {}) or {})

    def baseline(self) -> pa.Table:
        """The item table of the stored decisions (``build_items`` over these items)."""
        return build_items(
            self.events, segment_attribute=self.segment_attribute, score_signal=self.score_signal
        )

    def candidate(self, candidate: Candidate) -> pa.Table:
        """The item table with every stored decision replaced by the candidate's."""
        is_decision = pc.equal(self.events["event_type"], "decision_made")
        kept = self.events.filter(pc.invert(is_decision))
        substitutes = _decision_events(candidate, self.decisions, self.events, self.ports)
        return build_items(
            pa.concat_tables([kept, substitutes]),
            segment_attribute=self.segment_attribute,
            score_signal=self.score_signal,
        )

    def shadow(self, revision: str) -> Replay:
        """Both tables over the selected items that a shadow policy of ``revision`` decided
        live (``ShadowDecisionMade``): its recorded decisions replace the stored ones, at the
        stored decision's position and time, exactly as ``replay`` substitutes re-evaluated
        ones. Raises ``InvalidInput`` when no selected item has such a shadow decision."""
        shadows = _shadow_rows(self.events, revision, self.ports)
        covered = [d for d in self.decisions if d.item_id in shadows]
        if not covered:
            found = Counter(_shadow_revisions(self.events, self.ports))
            listed = ", ".join(f"{r} ({n} items)" for r, n in found.most_common()) or "none"
            raise InvalidInput(
                f"none of the {len(self.decisions)} selected items has a shadow decision of "
                f"revision {revision!r}; shadow revisions recorded there: {listed}"
            )
        wanted = pa.array([d.item_id for d in covered], pa.string())
        events = self.events.filter(pc.is_in(self.events["item_id"], value_set=wanted))
        is_decision = pc.equal(events["event_type"], "decision_made")
        substitutes = _substitutes(covered, [shadows[d.item_id] for d in covered], events.schema)
        build = {"segment_attribute": self.segment_attribute, "score_signal": self.score_signal}
        baseline = build_items(events, **build)
        candidate = build_items(
            pa.concat_tables([events.filter(pc.invert(is_decision)), substitutes]), **build
        )
        return self._result(
            baseline,
            candidate,
            revision,
            without_shadow=len(self.decisions) - len(covered),
            source="shadow",
        )

    def replay(self, candidate: Candidate) -> Replay:
        return self._result(self.baseline(), self.candidate(candidate), candidate.revision)

    def _result(
        self, baseline: pa.Table, candidate: pa.Table, revision: str, **extra: Any
    ) -> Replay:
        assert baseline["item_id"].equals(candidate["item_id"]), "tables are built in one order"
        return Replay(
            baseline=baseline,
            candidate=candidate,
            candidate_revision=revision,
            baseline_revisions=self.baseline_revisions,
            since=self.since,
            until=self.until,
            in_period=self.in_period,
            lacking_signals=self.lacking_signals,
            undecided=self.undecided,
            other_revisions=self.other_revisions,
            **extra,
        )


def _shadow_decisions(events: pa.Table, ports: ReplayPorts) -> list[tuple[str, str, Decision]]:
    """(item id, payload, decision) of every recorded shadow decision, in log (seq) order."""
    shadows = events.filter(pc.equal(events["event_type"], "shadow_decision_made"))
    order = pc.sort_indices(shadows, sort_keys=[("seq", "ascending")])
    out = []
    for item_id, payload in zip(
        shadows["item_id"].take(order).to_pylist(),
        shadows["payload"].take(order).to_pylist(),
        strict=True,
    ):
        event = ports.decode(payload)
        assert isinstance(event, ShadowDecisionMade)
        out.append((item_id, payload, event.decision))
    return out


def _shadow_rows(events: pa.Table, revision: str, ports: ReplayPorts) -> dict[str, str]:
    """item id → the payload of its first shadow decision of ``revision``."""
    out: dict[str, str] = {}
    for item_id, payload, decision in _shadow_decisions(events, ports):
        if item_id not in out and decision.policy_revision == revision:
            out[item_id] = payload
    return out


def _shadow_revisions(events: pa.Table, ports: ReplayPorts) -> list[str]:
    """The revision of every recorded shadow decision (one entry per event)."""
    return [decision.policy_revision for _, _, decision in _shadow_decisions(events, ports)]


def _substitutes(
    decisions: Sequence[StoredDecision], payloads: Sequence[str], schema: pa.Schema
) -> pa.Table:
    """One ``decision_made`` row per stored decision, at its position (seq) and time."""
    return pa.table(
        {
            "seq": pa.array([d.seq for d in decisions], pa.int64()),
            "event_type": pa.array(["decision_made"] * len(decisions), pa.string()),
            "item_id": pa.array([d.item_id for d in decisions], pa.string()),
            "occurred_at": pa.array([d.decided_at for d in decisions], UTC_US),
            "payload": pa.array(payloads, pa.string()),
        },
        schema=schema,
    )


def _decision_events(
    candidate: Candidate,
    decisions: Sequence[StoredDecision],
    events: pa.Table,
    ports: ReplayPorts,
) -> pa.Table:
    """The candidate's ``DecisionMade`` per item, encoded as the store would, at the stored
    decision's position and time; analysed, never stored."""
    payloads = []
    for stored in decisions:
        decision = ports.evaluate(
            candidate,
            stored.inputs,
            item_id=stored.item_id,
            decision_id=f"replay:{stored.decision_id}",
            decided_at=stored.decided_at,
        )
        event = DecisionMade(
            item_id=stored.item_id, occurred_at=stored.decided_at, decision=decision
        )
        payloads.append(ports.encode(event))
    return _substitutes(decisions, payloads, events.schema)


def comparison_report(replayed: Replay, result: Comparison, revision: str) -> dict[str, Any]:
    """The JSON report: header (revisions, period, counts, costs) and the metrics."""
    return {
        "baseline_revision": revision,
        "candidate_revision": replayed.candidate_revision,
        "period": {
            "since": replayed.since.isoformat() if replayed.since else None,
            "until": replayed.until.isoformat() if replayed.until else None,
            "selects": "items by ingestion time; since inclusive, until exclusive",
        },
        "items_in_period": replayed.in_period,
        "items_replayed": replayed.replayed,
        "items_changed": replayed.changed().num_rows,
        "items_lacking_signals": replayed.lacking_signals,
        "items_undecided": replayed.undecided,
        "items_other_revisions": replayed.other_revisions,
        "candidate_source": replayed.source,
        "items_without_shadow": replayed.without_shadow,
        **result.to_dict(),
    }
