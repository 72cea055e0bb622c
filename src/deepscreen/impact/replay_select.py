"""Which stored items a replay covers (a period, a baseline revision) and the inputs to
re-evaluate each on: the recorded ones, or rebuilt from the stored events via the codec."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import DecisionMade, ItemIngested, SignalsComputed
from deepscreen.impact.items import UTC_US
from deepscreen.impact.replay import ReplayPorts, ReplaySet, StoredDecision

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


def latest_revision(events: pa.Table) -> str | None:
    """The policy revision of the most recently stored decision (None: no decision stored)."""
    con = _connect(events)
    try:
        row = con.execute(_LATEST_REVISION_QUERY).fetchone()
    finally:
        con.close()
    return None if row is None else str(row[0])


class Selection(TypedDict, total=False):
    """``select_items``' keyword arguments, for a caller that passes them on unchanged."""

    since: datetime | None
    until: datetime | None
    baseline_revision: str | None
    segment_attribute: str
    score_signal: str


def select_items(
    events: pa.Table,
    ports: ReplayPorts,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    baseline_revision: str | None = None,
    segment_attribute: str = "category",
    score_signal: str = "ensemble",
) -> ReplaySet:
    """The items of the event table (``EVENTS_SCHEMA``) ingested in [since, until) whose first
    decision came from ``baseline_revision`` (any when None), with the inputs to replay them on.

    Raises ``InvalidInput`` when the period holds no such item, or none of them can be replayed
    (no recorded inputs and no stored signals); ``lacking_signals`` counts those left out.
    """
    check_period(since, until)
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
        stored = _stored_decision(row, ports)
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
        ports=ports,
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


def check_period(since: datetime | None, until: datetime | None) -> None:
    """``InvalidInput`` unless both bounds given are timezone-aware and since < until."""
    for name, when in (("since", since), ("until", until)):
        if when is not None and when.utcoffset() is None:
            raise InvalidInput(f"{name} must be timezone-aware, got {when.isoformat()!r}")
    if since is not None and until is not None and since >= until:
        raise InvalidInput(f"empty period: since {since.isoformat()} >= until {until.isoformat()}")


def rebuild_inputs(
    signals_payload: str | None, item_payload: str, ports: ReplayPorts
) -> dict[str, Any] | None:
    """The policy inputs from stored events (decoded with ``ports.decode``), as ``decide`` built
    them (``ports.stored_inputs``). None when no signals were stored."""
    if signals_payload is None:
        return None
    signals = ports.decode(signals_payload)
    item = ports.decode(item_payload)
    assert isinstance(signals, SignalsComputed) and isinstance(item, ItemIngested)
    return dict(ports.stored_inputs(signals, item))


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


def _stored_decision(row: Mapping[str, Any], ports: ReplayPorts) -> StoredDecision | None:
    event = ports.decode(row["decision_payload"])
    assert isinstance(event, DecisionMade)
    decision = event.decision
    inputs: Mapping[str, Any] = decision.inputs
    inputs_from = "decision"
    if not ("signals" in inputs and "item" in inputs):
        rebuilt = rebuild_inputs(row["signals_payload"], row["item_payload"], ports)
        if rebuilt is None:
            return None
        inputs, inputs_from = rebuilt, "events"
    return StoredDecision(
        item_id=row["item_id"],
        decision_id=decision.decision_id,
        policy_revision=str(row["policy_revision"]),
        decided_at=row["decision_occurred_at"],
        seq=int(row["decision_seq"]),
        inputs={"signals": inputs["signals"], "item": inputs["item"]},
        inputs_from=inputs_from,
    )
