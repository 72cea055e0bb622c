"""The item table (``ITEM_SCHEMA``): one row per item, built from the event log
(``EVENTS_SCHEMA``) with one DuckDB query. Columns and rules: docs/internals/impact.md."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from deepscreen.core.metrics import ENFORCEMENT_ACTIONS

UTC_US = pa.timestamp("us", tz="UTC")

EVENTS_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("event_type", pa.string()),
        ("item_id", pa.string()),
        ("occurred_at", UTC_US),
        ("payload", pa.string()),
    ]
)
"""What ``build_items`` reads: the event log as the stores export it (JSON payloads)."""

__all__ = ["ENFORCEMENT_ACTIONS", "EVENTS_SCHEMA", "ITEM_SCHEMA", "UTC_US", "build_items"]

ITEM_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("ingested_at", UTC_US),
        ("kind", pa.string()),
        ("segment", pa.string()),
        ("policy_revision", pa.string()),
        ("rule_id", pa.string()),
        ("action", pa.string()),
        ("decided_at", UTC_US),
        ("score", pa.float64()),
        ("detected_at", UTC_US),
        ("notice_at", UTC_US),
        ("violating", pa.bool_()),
        ("reviewed_at", UTC_US),
        ("review_action", pa.string()),
        ("label_source", pa.string()),
        ("inclusion_probability", pa.float64()),
        ("sample_stratum", pa.string()),
        ("enforced", pa.bool_()),
        ("enforced_at", UTC_US),
        ("enforced_action", pa.string()),
        ("automated", pa.bool_()),
        ("views_total", pa.int64()),
        ("views_before_action", pa.int64()),
        ("appeal_received_at", UTC_US),
        ("appeal_decided_at", UTC_US),
        ("appeal_outcome", pa.string()),
    ]
)

_QUERY = """
WITH ev AS (SELECT * FROM events),
ingested AS (
    SELECT item_id, min(occurred_at) AS ingested_at,
           arg_min(json_extract_string(payload, '$.kind'), seq) AS kind,
           arg_min(coalesce(json_extract_string(payload, '$.attributes.' || $segment), ''), seq)
               AS segment
    FROM ev WHERE event_type = 'item_ingested' GROUP BY item_id
),
decided AS (
    SELECT item_id,
           arg_min(json_extract_string(payload, '$.decision.policy_revision'), seq)
               AS policy_revision,
           arg_min(json_extract_string(payload, '$.decision.rule_id'), seq) AS rule_id,
           arg_min(json_extract_string(payload, '$.decision.action'), seq) AS action,
           arg_min(occurred_at, seq) AS decided_at
    FROM ev WHERE event_type = 'decision_made' GROUP BY item_id
),
signal_rows AS (
    SELECT ev.item_id, ev.seq, ev.occurred_at,
           unnest(from_json(json_extract(payload, '$.results'),
                  '[{"detector": "VARCHAR", "score": "DOUBLE"}]')) AS r
    FROM ev WHERE event_type = 'signals_computed'
),
first_signals AS (
    SELECT item_id, min(seq) AS seq, min(occurred_at) AS detected_at
    FROM ev WHERE event_type = 'signals_computed' GROUP BY item_id
),
scores AS (
    SELECT s.item_id, f.detected_at,
           coalesce(max(r.score) FILTER (WHERE r.detector = $score_signal), max(r.score)) AS score
    FROM signal_rows s JOIN first_signals f ON s.item_id = f.item_id AND s.seq = f.seq
    GROUP BY s.item_id, f.detected_at
),
notices AS (
    SELECT item_id, min(occurred_at) AS notice_at
    FROM ev WHERE event_type = 'notice_received' GROUP BY item_id
),
reviews AS (
    SELECT item_id,
           arg_max(json_extract_string(payload, '$.verdict') = 'violating', seq) AS violating,
           max(occurred_at) AS reviewed_at,
           arg_max(json_extract_string(payload, '$.action'), seq) AS review_action,
           arg_max(CASE WHEN starts_with(json_extract_string(payload, '$.reviewer'),
                                         'label-import:') THEN 'import' ELSE 'review' END, seq)
               AS label_source
    FROM ev WHERE event_type = 'review_completed' GROUP BY item_id
),
samples AS (
    SELECT item_id,
           arg_max(CAST(json_extract(payload, '$.inclusion_probability') AS DOUBLE), seq)
               AS inclusion_probability,
           arg_max(json_extract_string(payload, '$.stratum'), seq) AS sample_stratum
    FROM ev WHERE event_type = 'label_sampled' GROUP BY item_id
),
appeals AS (
    SELECT item_id,
           arg_max(CAST(json_extract_string(payload, '$.received_at') AS TIMESTAMPTZ), seq)
               AS appeal_received_at,
           arg_max(occurred_at, seq) AS appeal_decided_at,
           arg_max(json_extract_string(payload, '$.outcome'), seq) AS appeal_outcome
    FROM ev WHERE event_type = 'appeal_resolved' GROUP BY item_id
),
joined AS (
    SELECT i.item_id, i.ingested_at, i.kind, i.segment,
           d.policy_revision, d.rule_id, d.action, d.decided_at,
           s.score, s.detected_at, n.notice_at,
           r.violating, r.reviewed_at, r.review_action, r.label_source,
           sp.inclusion_probability, sp.sample_stratum,
           a.appeal_received_at, a.appeal_decided_at, a.appeal_outcome
    FROM ingested i
    LEFT JOIN decided d USING (item_id)
    LEFT JOIN scores s USING (item_id)
    LEFT JOIN notices n USING (item_id)
    LEFT JOIN reviews r USING (item_id)
    LEFT JOIN samples sp USING (item_id)
    LEFT JOIN appeals a USING (item_id)
),
confirmed AS (
    SELECT *,
        coalesce(violating AND label_source = 'review'
                 AND (action = 'review' OR reviewed_at >= notice_at), FALSE) AS review_confirmed
    FROM joined
),
enforcement AS (
    SELECT *,
        CASE WHEN action IN ('label', 'downrank', 'age_gate', 'remove') THEN TRUE
             WHEN review_confirmed THEN TRUE
             ELSE FALSE END AS enforced,
        CASE WHEN action IN ('label', 'downrank', 'age_gate', 'remove') THEN decided_at
             WHEN review_confirmed THEN reviewed_at END AS enforced_at,
        CASE WHEN action IN ('label', 'downrank', 'age_gate', 'remove') THEN action
             WHEN review_confirmed
                 THEN coalesce(review_action, 'unspecified') END AS enforced_action,
        action IN ('label', 'downrank', 'age_gate', 'remove') AS automated
    FROM confirmed
),
views AS (
    SELECT v.item_id,
           sum(CAST(json_extract(v.payload, '$.views') AS BIGINT)) AS views_total,
           sum(CAST(json_extract(v.payload, '$.views') AS BIGINT))
               FILTER (WHERE e.enforced AND v.occurred_at <= e.enforced_at) AS views_before
    FROM ev v JOIN enforcement e USING (item_id)
    WHERE v.event_type = 'views_observed'
    GROUP BY v.item_id
)
SELECT e.item_id, e.ingested_at, e.kind, e.segment, e.policy_revision, e.rule_id, e.action,
       e.decided_at, e.score, e.detected_at, e.notice_at, e.violating, e.reviewed_at,
       e.review_action, e.label_source, e.inclusion_probability, e.sample_stratum,
       e.enforced, e.enforced_at, e.enforced_action, e.automated,
       coalesce(v.views_total, 0) AS views_total,
       CASE WHEN e.enforced THEN coalesce(v.views_before, 0) END AS views_before_action,
       e.appeal_received_at, e.appeal_decided_at, e.appeal_outcome
FROM enforcement e LEFT JOIN views v USING (item_id)
ORDER BY e.ingested_at, e.item_id
"""


def build_items(
    events: pa.Table, *, segment_attribute: str = "category", score_signal: str = "ensemble"
) -> pa.Table:
    """One row per ingested item (``ITEM_SCHEMA``) from an event table (``EVENTS_SCHEMA``)."""
    if not segment_attribute.replace("_", "").isalnum():
        raise ValueError(f"segment attribute {segment_attribute!r} must be a plain name")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("events", events.cast(EVENTS_SCHEMA))
        parameters = {"segment": segment_attribute, "score_signal": score_signal}
        table = con.sql(_QUERY, params=parameters).to_arrow_table()
        assert table is not None, "a SELECT always returns a table"
    finally:
        con.close()
    return table.cast(ITEM_SCHEMA)
