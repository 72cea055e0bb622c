"""What the streaming worker does with a batch of upload messages, without the broker: read,
decide, store in one transaction, and say for each message whether to ack, retry (nak) or
dead-letter it (the failure classes: docs/internals/scale.md)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from deepscreen.core.decisions import Decision
from deepscreen.core.errors import BackendError
from deepscreen.core.events import DecisionMade
from deepscreen.scale.records import BadRecord, Decided, UploadRecord, decide_record, parse_record
from deepscreen.scale.writer import Status, Written, store_decided
from deepscreen.service.scan import Services

log = logging.getLogger(__name__)

PERMANENT = frozenset({BadRecord.code, "unsupported_media", "corrupt_media", "media_too_large"})
INTERNAL_ERROR = "internal_error"
STORE_REFUSED = "store_refused"


class Disposition(StrEnum):
    RETRY = "retry"
    DEAD_LETTER = "dead_letter"


def disposition(error_code: str, *, deliveries: int, max_deliver: int) -> Disposition:
    """What to do with a message that failed with ``error_code`` on its ``deliveries``-th
    delivery (store outages never reach here: they retry the whole batch)."""
    if error_code in PERMANENT or deliveries >= max_deliver:
        return Disposition.DEAD_LETTER
    return Disposition.RETRY


def read_message(data: bytes, *, where: str) -> UploadRecord:
    """The upload record a message carries (a JSON object, see ``records.parse_record``)."""
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise BadRecord(f"{where}: not a JSON object: {exc}") from None
    return parse_record(raw, where=where)


@dataclass(frozen=True)
class Result:
    """One record's outcome: ``status`` None means deciding it raised (``error`` says what)."""

    status: Status | None
    item_id: str | None
    error: str | None = None
    error_code: str | None = None
    decision: Decision | None = None
    """The stored decision (this run's, or the one stored before for a redelivery); only
    looked up when the worker publishes decisions."""
    stored_ns: int = 0
    """``time.time_ns()`` once the batch's transaction had committed."""

    @property
    def done(self) -> bool:
        return self.status in (Status.STORED, Status.ALREADY_STORED)


def handle_batch(
    services: Services,
    records: Sequence[UploadRecord],
    *,
    redelivered: Sequence[bool] = (),
    want_decisions: bool = False,
) -> list[Result]:
    """Decide and store ``records`` (one transaction); one ``Result`` per record, in order.
    A redelivered record whose id is stored already is not decided again (a first delivery of
    a stored item is decided, and its write skipped). Raises ``BackendError`` when the store is
    unavailable: nothing of the batch is done."""
    results: list[Result | None] = [None] * len(records)
    pending: list[tuple[int, Decided]] = []
    again = list(redelivered) or [False] * len(records)
    for index, record in enumerate(records):
        if again[index] and record.item_id and services.store.has_item(record.item_id):
            results[index] = Result(Status.ALREADY_STORED, record.item_id)
            continue
        try:
            pending.append((index, decide_record(services, record)))
        except BackendError:
            raise
        except Exception as exc:  # noqa: BLE001 - one message's bug must not sink the batch
            log.exception("deciding %s failed", record.source)
            error = f"{record.source}: {type(exc).__name__}: {exc}"
            results[index] = Result(None, record.item_id, error, INTERNAL_ERROR)
    written = _store(services, [decided for _, decided in pending])
    stored_ns = time.time_ns()
    for (index, _), w in zip(pending, written, strict=True):
        d = w.decided
        decision = _decision_in(d) if want_decisions and w.status is Status.STORED else None
        results[index] = Result(w.status, d.item_id, d.error, d.error_code, decision, stored_ns)
    out: list[Result] = []
    for result in results:
        assert result is not None
        if result.status is not None and result.stored_ns == 0:
            result = replace(result, stored_ns=stored_ns)
        if want_decisions and result.status is Status.ALREADY_STORED and result.item_id:
            result = replace(result, decision=services.store.latest_decision(result.item_id))
        out.append(result)
    return out


def _store(services: Services, batch: list[Decided]) -> list[Written]:
    """One transaction for the batch; if the store refuses it (not an outage), item by item,
    so that one bad item does not keep the others from being stored."""
    if not batch:
        return []
    try:
        return store_decided(services, batch)
    except BackendError:
        raise
    except Exception:  # noqa: BLE001 - isolate the item the store refuses
        log.exception("storing a batch of %d failed; storing item by item", len(batch))
    out: list[Written] = []
    for decided in batch:
        try:
            out.extend(store_decided(services, [decided]))
        except BackendError:
            raise
        except Exception as exc:  # noqa: BLE001
            refused = replace(decided, error=f"{decided.source}: {exc}", error_code=STORE_REFUSED)
            out.append(Written(refused, Status.FAILED))
    return out


def _decision_in(decided: Decided) -> Decision | None:
    for event in decided.events:
        if isinstance(event, DecisionMade):
            return event.decision
    return None


def output_message(decision: Decision) -> bytes:
    """What ``--output`` publishes for a decision that needs action."""
    return json.dumps(
        {
            "item_id": decision.item_id,
            "decision_id": decision.decision_id,
            "action": str(decision.action),
            "rule_id": decision.rule_id,
            "policy_revision": decision.policy_revision,
        }
    ).encode()
