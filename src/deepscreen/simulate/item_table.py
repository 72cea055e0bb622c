"""A simulated batch as the impact item table (``ITEM_SCHEMA``): times from the run's start,
codes to strings through Arrow (no per-item Python strings)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.simulate.batch import _US_PER_HOUR, REVIEW_ACTION, START, Batch
from deepscreen.simulate.policy_bridge import ACTIONS
from deepscreen.simulate.scenario import Scenario


def _item_table(
    scenario: Scenario, c: Batch, revision: str, rule_names: Sequence[str | None]
) -> pa.Table:
    n = c["upload"].shape[0]
    ts = ITEM_SCHEMA.field("ingested_at").type
    start = int(np.datetime64(START.replace(tzinfo=None), "us").astype(np.int64))

    def at(mask: np.ndarray | None, first: np.ndarray, *hours: np.ndarray | float) -> pa.Array:
        """START + ``first`` + ``hours`` (added left to right), to the µs; null where not
        ``mask`` or not finite. Computed for the rows in ``mask`` only."""
        rows = None if mask is None else np.flatnonzero(mask)
        total = np.asarray(first if rows is None else first[rows], dtype=np.float64)
        for term in hours:
            total = total + (term if isinstance(term, float) or rows is None else term[rows])
        finite = np.isfinite(total)
        micros = (np.where(finite, total, 0) * _US_PER_HOUR).astype(np.int64)
        micros += start
        if rows is None and finite.all():
            return pa.array(micros, pa.int64()).view(ts)
        valid = finite if rows is None else np.zeros(n, dtype=bool)
        if rows is not None:
            valid[rows] = finite
            micros, spread = np.zeros(n, dtype=np.int64), micros
            micros[rows] = spread
        return pa.array(micros, pa.int64(), mask=~valid).view(ts)

    upload = c["upload"]
    reviewed = np.isfinite(c["reviewed_after"])
    enforced = c["enforced"]
    decided = at(None, upload, c["decided_after"])
    columns = {
        "item_id": pc.cast(pa.array(c["id"]), pa.string()),
        "ingested_at": at(None, upload),
        "kind": pa.repeat(pa.scalar("image", pa.string()), n),
        "segment": _pick(scenario.category_names, c["category"]),
        "policy_revision": pa.repeat(pa.scalar(revision, pa.string()), n),
        "rule_id": _pick(rule_names, c["rule"]),
        "action": _pick(ACTIONS, c["action"]),
        "decided_at": decided,
        "score": pa.array(c["score"]),
        "detected_at": decided,
        "notice_at": pa.nulls(n, ts),
        "violating": pa.array(c["violating"]),
        "reviewed_at": at(reviewed, upload, c["reviewed_after"]),
        "review_action": _where(reviewed & c["violating"], REVIEW_ACTION, None),
        "label_source": _where(reviewed, "review", "import"),
        "inclusion_probability": pa.nulls(n, pa.float64()),
        "sample_stratum": pa.nulls(n, pa.string()),
        "enforced": pa.array(enforced),
        "enforced_at": at(enforced, upload, c["action_after"]),
        "enforced_action": _pick(ACTIONS, c["enforced_action"], enforced),
        "automated": pa.array(c["automated"]),
        "views_total": pa.array(np.rint(c["realised"]).astype(np.int64)),
        "views_before_action": pa.array(np.rint(c["before"]).astype(np.int64), mask=~enforced),
        "appeal_received_at": at(c["appealed"], upload, c["action_after"], 24.0),
        "appeal_decided_at": at(c["appealed"], upload, c["action_after"], 48.0),
        "appeal_outcome": _pick(["upheld", "reversed"], c["overturned"], c["appealed"]),
    }
    return pa.table(columns).cast(ITEM_SCHEMA)


def _where(mask: np.ndarray, value: str, otherwise: str | None) -> pa.Array:
    """``value`` where ``mask``, else ``otherwise`` (None: null), as strings."""
    return pc.if_else(pa.array(mask), pa.scalar(value), pa.scalar(otherwise, pa.string()))


def _pick(
    vocabulary: Sequence[str | None], codes: np.ndarray, present: np.ndarray | None = None
) -> pa.Array:
    """Strings by code through an Arrow take (no per-item Python strings); null where not
    ``present`` (and where the vocabulary entry is None)."""
    indices = pa.array(
        np.where(present, codes, 0) if present is not None else codes,
        pa.int32(),
        mask=None if present is None else ~present,
    )
    return pc.take(pa.array(list(vocabulary), pa.string()), indices)
