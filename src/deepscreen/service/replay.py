"""Counterfactual replay: what a candidate policy would have decided on the stored items,
re-evaluated on the inputs each decision recorded (no detector re-run, nothing written), and the
item table rebuilt from that. Method and caveats: docs/internals/service.md."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import ItemIngested, SignalsComputed
from deepscreen.impact.compare import Comparison
from deepscreen.impact.items import EVENTS_SCHEMA, UTC_US, build_items
from deepscreen.policy.bundle import Bundle
from deepscreen.policy.evaluate import evaluate, signal_inputs
from deepscreen.service.scan import Services
from deepscreen.store.events.arrow import events_table
from deepscreen.store.events.codec import decode_event
from deepscreen.store.events.ports import EventStore

Source: TypeAlias = "Services | EventStore | pa.Table"
"""Where replay reads the log: the wired services, an event store, or an exported event table
(``deepscreen.store.events.arrow.events_table``) to avoid reading a large store more than once."""

_ITEMS_QUERY = """
WITH ingested AS (
    SELECT item_id, min(occurred_at) AS ingested_at, arg_min(payload, seq) AS item_payload
    FROM events WHERE event_type = 'item_ingested' GROUP BY item_id
),
decided AS (
    SELECT item_id, min(seq) AS decision_seq,
           arg_min(occurred_at, seq) AS decision_occurred_at,
           arg_min(payload, seq) AS decision_payload,
           arg_min(json_extract_string(payload, '$.decision.policy_revision'), seq)
               AS policy_revision
    FROM events WHERE event_type = 'decision_made' GROUP BY item_id
),
signals AS (
    SELECT item_id, arg_min(payload, seq) AS signals_payload
    FROM events WHERE event_type = 'signals_computed' GROUP BY item_id
)
SELECT i.item_id, i.ingested_at, i.item_payload, d.decision_seq, d.decision_occurred_at,
       d.decision_payload, d.policy_revision, s.signals_payload
FROM ingested i LEFT JOIN decided d USING (item_id) LEFT JOIN signals s USING (item_id)
ORDER BY i.ingested_at, i.item_id
"""

_LATEST_REVISION_QUERY = """
SELECT json_extract_string(payload, '$.decision.policy_revision') AS revision
FROM events WHERE event_type = 'decision_made' ORDER BY seq DESC LIMIT 1
"""


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

    def candidate(self, candidate: Bundle) -> pa.Table:
        """The item table with every stored decision replaced by the candidate's."""
        is_decision = pc.equal(self.events["event_type"], "decision_made")
        kept = self.events.filter(pc.invert(is_decision))
        substitutes = _decision_events(candidate, self.decisions, self.events)
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
        shadows = _shadow_rows(self.events, revision)
        covered = [d for d in self.decisions if d.item_id in shadows]
        if not covered:
            found = Counter(_shadow_revisions(self.events))
            listed = ", ".join(f"{r} ({n} items)" for r, n in found.most_common()) or "none"
            raise InvalidInput(
                f"none of the {len(self.decisions)} selected items has a shadow decision of "
                f"revision {revision!r}; shadow revisions recorded there: {listed}"
            )
        wanted = pa.array([d.item_id for d in covered], pa.string())
        events = self.events.filter(pc.is_in(self.events["item_id"], value_set=wanted))
        is_decision = pc.equal(events["event_type"], "decision_made")
        substitutes = pa.table(
            {
                "seq": pa.array([d.seq for d in covered], pa.int64()),
                "event_type": pa.array(["decision_made"] * len(covered), pa.string()),
                "item_id": wanted,
                "occurred_at": pa.array([d.decided_at for d in covered], UTC_US),
                "payload": pa.array([shadows[d.item_id] for d in covered], pa.string()),
            },
            schema=events.schema,
        )
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

    def replay(self, candidate: Bundle) -> Replay:
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


def load_events(source: Source) -> pa.Table:
    """The event log as an Arrow table (``EVENTS_SCHEMA``); a table is passed through."""
    if isinstance(source, pa.Table):
        return source.cast(EVENTS_SCHEMA)
    store = source.store if isinstance(source, Services) else source
    return events_table(store)


def latest_revision(source: Source) -> str | None:
    """The policy revision of the most recently stored decision (None: no decision stored)."""
    events = load_events(source)
    con = _connect(events)
    try:
        row = con.execute(_LATEST_REVISION_QUERY).fetchone()
    finally:
        con.close()
    return None if row is None else str(row[0])


def select_items(
    source: Source,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    baseline_revision: str | None = None,
    segment_attribute: str = "category",
    score_signal: str = "ensemble",
) -> ReplaySet:
    """The stored items ingested in [since, until) whose first decision came from
    ``baseline_revision`` (any when None), with the inputs to replay them on.

    Raises ``InvalidInput`` when the period holds no such item, or none of them can be replayed
    (no recorded inputs and no stored signals); ``lacking_signals`` counts those left out.
    """
    for name, when in (("since", since), ("until", until)):
        if when is not None and when.utcoffset() is None:
            raise InvalidInput(f"{name} must be timezone-aware, got {when.isoformat()!r}")
    if since is not None and until is not None and since >= until:
        raise InvalidInput(f"empty period: since {since.isoformat()} >= until {until.isoformat()}")
    events = load_events(source)
    rows = _in_period(_item_rows(events), since, until)
    period = _describe_period(since, until)
    if rows.num_rows == 0:
        raise InvalidInput(f"no stored items were ingested {period}")
    decided = rows.filter(pc.is_valid(rows["decision_payload"]))
    undecided = rows.num_rows - decided.num_rows
    selected = decided
    if baseline_revision is not None:
        selected = decided.filter(pc.equal(decided["policy_revision"], baseline_revision))
        if selected.num_rows == 0:
            found = Counter(decided["policy_revision"].to_pylist())
            listed = ", ".join(f"{r} ({n} items)" for r, n in found.most_common()) or "none"
            raise InvalidInput(
                f"no items ingested {period} were decided by policy revision "
                f"{baseline_revision!r}; revisions there: {listed}"
            )
    if selected.num_rows == 0:
        raise InvalidInput(f"none of the {rows.num_rows} items ingested {period} has a decision")
    decisions = []
    lacking = 0
    for row in selected.to_pylist():
        stored = _stored_decision(row)
        if stored is None:
            lacking += 1
        else:
            decisions.append(stored)
    if not decisions:
        raise InvalidInput(
            f"none of the {selected.num_rows} selected items ingested {period} can be replayed: "
            "their decisions hold no inputs and no signals were stored for them"
        )
    wanted = pa.array([d.item_id for d in decisions], pa.string())
    return ReplaySet(
        events=events.filter(pc.is_in(events["item_id"], value_set=wanted)),
        decisions=tuple(decisions),
        since=since,
        until=until,
        baseline_revision=baseline_revision,
        in_period=rows.num_rows,
        lacking_signals=lacking,
        undecided=undecided,
        other_revisions=decided.num_rows - selected.num_rows,
        segment_attribute=segment_attribute,
        score_signal=score_signal,
    )


def replay(
    source: Source,
    candidate: Bundle,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    baseline_revision: str | None = None,
) -> pa.Table:
    """The items of the period as the candidate policy would have decided them (``ITEM_SCHEMA``).

    Same rows, in the same order, as ``baseline_items`` with the same arguments; nothing is
    written to the store. ``select_items(...).replay(candidate)`` gives both tables and the
    counts (items lacking signals, ...) from one read of the log.
    """
    selection = select_items(source, since=since, until=until, baseline_revision=baseline_revision)
    return selection.candidate(candidate)


def baseline_items(
    source: Source,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    baseline_revision: str | None = None,
) -> pa.Table:
    """The items of the period with their stored decisions (``ITEM_SCHEMA``), restricted to
    those ``replay`` re-evaluates (a decision, and inputs to replay it on)."""
    selection = select_items(source, since=since, until=until, baseline_revision=baseline_revision)
    return selection.baseline()


def _connect(events: pa.Table) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("events", events)
    return con


def _item_rows(events: pa.Table) -> pa.Table:
    con = _connect(events)
    try:
        table = con.sql(_ITEMS_QUERY).to_arrow_table()
    finally:
        con.close()
    assert table is not None, "a SELECT always returns a table"
    return table


def _in_period(rows: pa.Table, since: datetime | None, until: datetime | None) -> pa.Table:
    at = rows["ingested_at"].cast(UTC_US)
    if since is not None:
        rows = rows.filter(pc.greater_equal(at, pa.scalar(since, UTC_US)))
        at = rows["ingested_at"].cast(UTC_US)
    if until is not None:
        rows = rows.filter(pc.less(at, pa.scalar(until, UTC_US)))
    return rows


def _describe_period(since: datetime | None, until: datetime | None) -> str:
    if since is None and until is None:
        return "at any time"
    start = since.isoformat() if since is not None else "the beginning"
    end = until.isoformat() if until is not None else "now"
    return f"from {start} until {end} (exclusive)"


def _stored_decision(row: Mapping[str, Any]) -> StoredDecision | None:
    decision = json.loads(row["decision_payload"])["decision"]
    inputs = decision.get("inputs") or {}
    inputs_from = "decision"
    if not (isinstance(inputs, Mapping) and "signals" in inputs and "item" in inputs):
        rebuilt = rebuild_inputs(row["signals_payload"], row["item_payload"])
        if rebuilt is None:
            return None
        inputs, inputs_from = rebuilt, "events"
    return StoredDecision(
        item_id=row["item_id"],
        decision_id=str(decision["decision_id"]),
        policy_revision=str(row["policy_revision"]),
        decided_at=row["decision_occurred_at"],
        seq=int(row["decision_seq"]),
        inputs={"signals": inputs["signals"], "item": inputs["item"]},
        inputs_from=inputs_from,
    )


def rebuild_inputs(signals_payload: str | None, item_payload: str) -> dict[str, Any] | None:
    """The policy inputs from stored events, as ``decide`` built them: ``signal_inputs`` of the
    stored results, and the item's attributes overlaid with its media facts (``item_inputs``).
    None when no signals were stored."""
    if signals_payload is None:
        return None
    signals = decode_event(signals_payload)
    item = decode_event(item_payload)
    assert isinstance(signals, SignalsComputed) and isinstance(item, ItemIngested)
    facts: dict[str, Any] = {
        "id": item.item_id,
        "kind": item.kind.value,
        "mime": item.mime,
        "width": item.width,
        "height": item.height,
        "size_bytes": item.size_bytes,
    }
    return {"signals": signal_inputs(signals.results), "item": {**dict(item.attributes), **facts}}


def _shadow_rows(events: pa.Table, revision: str) -> dict[str, str]:
    """item id → the payload of its first shadow decision of ``revision``."""
    out: dict[str, str] = {}
    shadows = events.filter(pc.equal(events["event_type"], "shadow_decision_made"))
    order = pc.sort_indices(shadows, sort_keys=[("seq", "ascending")])
    for item_id, payload in zip(
        shadows["item_id"].take(order).to_pylist(),
        shadows["payload"].take(order).to_pylist(),
        strict=True,
    ):
        if item_id not in out and json.loads(payload)["decision"]["policy_revision"] == revision:
            out[item_id] = payload
    return out


def _shadow_revisions(events: pa.Table) -> list[str]:
    """The revision of every recorded shadow decision (one entry per event)."""
    shadows = events.filter(pc.equal(events["event_type"], "shadow_decision_made"))
    return [json.loads(p)["decision"]["policy_revision"] for p in shadows["payload"].to_pylist()]


def _decision_events(
    candidate: Bundle, decisions: Sequence[StoredDecision], events: pa.Table
) -> pa.Table:
    """One ``decision_made`` row per item with the candidate's decision, at the stored
    decision's position (seq) and time. The payload holds what ``build_items`` reads plus the
    decision's params and errors; it is analysed, never stored."""
    payloads = []
    for stored in decisions:
        decided_at = stored.decided_at
        decision = evaluate(
            candidate,
            stored.inputs,
            item_id=stored.item_id,
            decision_id=f"replay:{stored.decision_id}",
            decided_at=decided_at,
        )
        at = decided_at.isoformat()
        payloads.append(
            json.dumps(
                {
                    "type": "decision_made",
                    "item_id": stored.item_id,
                    "occurred_at": at,
                    "decision": {
                        "decision_id": decision.decision_id,
                        "item_id": stored.item_id,
                        "policy_revision": decision.policy_revision,
                        "rule_id": decision.rule_id,
                        "action": decision.action.value,
                        "decided_at": at,
                        "action_params": dict(decision.action_params),
                        "errors": list(decision.errors),
                    },
                }
            )
        )
    return pa.table(
        {
            "seq": pa.array([d.seq for d in decisions], pa.int64()),
            "event_type": pa.array(["decision_made"] * len(decisions), pa.string()),
            "item_id": pa.array([d.item_id for d in decisions], pa.string()),
            "occurred_at": pa.array([d.decided_at for d in decisions], UTC_US),
            "payload": pa.array(payloads, pa.string()),
        },
        schema=events.schema,
    )


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
