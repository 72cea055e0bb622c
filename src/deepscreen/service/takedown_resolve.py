"""What deciding a takedown task does (``takedown_action``, ``resolve_takedown``: bank the removed
item's hashes, close its other tasks, sweep for copies) and the sweep for copies itself
(``sweep_copies``, ``deepscreen notice sweep``): docs/takedown.md, docs/internals/service.md."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from deepscreen.core.banks import Bank, BankEntry, BankPurpose
from deepscreen.core.decisions import Action
from deepscreen.core.errors import BankExists, BankNotFound, InvalidInput, LeaseNotHeld
from deepscreen.core.events import (
    Event,
    NoticeReceived,
    NoticeType,
    ReviewCompleted,
    Verdict,
)
from deepscreen.core.imports import ImportRecord
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.impact.takedown import SWEEP_REVIEWER
from deepscreen.review.routing import OUTCOME
from deepscreen.service.review import stored_pdq
from deepscreen.service.scan import Services
from deepscreen.signals.hashmatch.detector import MIN_QUALITY
from deepscreen.signals.hashmatch.pdq import hexes_to_array

log = logging.getLogger(__name__)

TAKEDOWN = "takedown"  # payload key of a takedown task: the notice and how to resolve it
COPY_KIND = "takedown_copy"  # the ``imports`` row that records a copy's removal once
BANK_CREATOR = "deepscreen:takedown"
BANK_DESCRIPTION = "hashes of items removed on a takedown request (NCII, DSA notices)"
MIN_FRAME_FRACTION = 0.5  # a video is a copy when half its usable frames match (as at upload)
_PAGE = 500


@dataclass(frozen=True)
class SweptCopy:
    item_id: str
    notice_id: str
    copy_of: str | None
    distance: int


@dataclass(frozen=True)
class SweepResult:
    """``rebanked``: removed takedown items banked by this sweep (their banking had not
    happened); ``copies``: copies whose removal it recorded; ``checked``: stored items with a
    hash it compared."""

    rebanked: int = 0
    copies: tuple[SweptCopy, ...] = ()
    checked: int = 0


@dataclass(frozen=True)
class TakedownResolution:
    notice_id: str
    removed: bool
    banked: tuple[BankEntry, ...] = ()
    not_banked_because: str | None = None
    closed_tasks: tuple[str, ...] = ()
    sweep: SweepResult | None = None


def takedown_spec(task: ReviewTask) -> Mapping[str, Any] | None:
    """The notice and resolution parameters a takedown task carries (None: not a takedown)."""
    spec = task.payload.get(TAKEDOWN)
    return spec if isinstance(spec, Mapping) and task.kind is TaskKind.REVIEW else None


def takedown_action(task: ReviewTask, verdict: Verdict, action: Action | None) -> Action | None:
    """The action a decision of ``task`` applies when it is a takedown: ``remove`` for a
    violation unless another restricting action is named (refused for NCII); otherwise
    ``action`` unchanged."""
    spec = takedown_spec(task)
    if spec is None or verdict is not Verdict.VIOLATING:
        return action
    if action is None:
        return Action.REMOVE
    try:
        chosen = Action(action)
    except ValueError:
        return action  # the review queue names the valid actions
    if spec.get("notice_type") == NoticeType.NCII.value and chosen is not Action.REMOVE:
        raise InvalidInput(
            f"an NCII takedown is answered by removal (TAKE IT DOWN Act): decide it with the "
            f"action remove, not {chosen.value!r}"
        )
    return chosen


def resolve_takedown(
    services: Services, task: ReviewTask, review: ReviewCompleted
) -> TakedownResolution | None:
    """What the recorded ``review`` of the takedown ``task`` does (docs/internals/service.md);
    None when ``task`` is not a takedown."""
    spec = takedown_spec(task)
    if spec is None:
        return None
    notice_id = str(spec.get("notice_id", ""))
    if review.verdict is not Verdict.VIOLATING or review.action is not Action.REMOVE:
        return TakedownResolution(notice_id, removed=False)
    entries, why = bank_removed_item(
        services, spec, task.item_id, review.reviewer, review.occurred_at
    )
    closed = close_item_tasks(services, task, review.reviewer, review.occurred_at)
    swept = None
    if spec.get("sweep_on_resolve", True) and services.banks is not None:
        swept = sweep_copies(
            services,
            queue=task.queue,
            bank=str(spec.get("bank", TAKEDOWN)),
            threshold=int(spec.get("bank_threshold", 31)),
            now=review.occurred_at,
        )
    return TakedownResolution(notice_id, True, tuple(entries), why, tuple(closed), swept)


def bank_removed_item(
    services: Services, spec: Mapping[str, Any], item_id: str, added_by: str, now: datetime
) -> tuple[list[BankEntry], str | None]:
    """Bank the removed item's stored PDQ hashes in the takedown bank (created on first use):
    the entries, or none and why not. Idempotent (the bank skips hashes it holds)."""
    if services.banks is None:
        return [], "no bank store is configured"
    hashes = stored_pdq(services, item_id)
    if not hashes:
        return [], "no PDQ hash was recorded for the item (hashmatch not enabled at scan?)"
    usable = [(pdq, q, t) for pdq, q, t in hashes if q >= MIN_QUALITY]
    if not usable:
        return [], f"PDQ quality below {MIN_QUALITY}: copies cannot be matched by hash"
    bank = takedown_bank(services, str(spec.get("bank", TAKEDOWN)), spec, now)
    notice_id = str(spec.get("notice_id", ""))
    metadata = {"notice_id": notice_id, "notice_type": str(spec.get("notice_type", ""))}
    if item_id.startswith("sha256:"):
        metadata["sha256"] = item_id.removeprefix("sha256:")
    entries = list(
        {
            pdq: BankEntry(
                bank=bank.name,
                hash_hex=pdq,
                added_at=now,
                added_by=added_by,
                reason=f"takedown {notice_id} ({spec.get('notice_type', '')})",
                item_id=item_id,
                quality=q,
                metadata=metadata if t is None else {**metadata, "frame_time_s": str(t)},
            )
            for pdq, q, t in usable
        }.values()
    )
    if services.banks.add_entries(bank.name, entries) and services.matcher is not None:
        services.matcher.set_bank(bank)
        services.matcher.add(entries)  # this process removes copies at upload from now on
    log.info("takedown %s: banked %d hash(es) in %s", notice_id, len(entries), bank.name)
    return entries, None


def takedown_bank(services: Services, name: str, spec: Mapping[str, Any], now: datetime) -> Bank:
    """The takedown block bank, created on first use with the configured threshold."""
    assert services.banks is not None
    try:
        return services.banks.get_bank(name)
    except BankNotFound:
        bank = Bank(
            name,
            BankPurpose.BLOCK,
            now,
            BANK_CREATOR,
            threshold=int(spec.get("bank_threshold", 31)),
            description=BANK_DESCRIPTION,
        )
        try:
            services.banks.create_bank(bank)
            return bank
        except BankExists:
            return services.banks.get_bank(name)


def close_item_tasks(
    services: Services, task: ReviewTask, reviewer: str, now: datetime
) -> list[str]:
    """Complete the item's other open review tasks (other notices of it, its routed review):
    the item is removed, their question answered. A task another reviewer holds under a
    valid lease is left to them."""
    queue, config = services.review_queue, services.review
    if queue is None or config is None:
        return []
    closed = []
    waiting = queue.list_tasks(
        item_id=task.item_id,
        statuses=[TaskStatus.OPEN, TaskStatus.CLAIMED],
        kinds=[TaskKind.REVIEW],
        limit=100,
    )
    outcome = {"closed_by": task.task_id, "reason": "item removed on a takedown request"}
    for other in waiting:
        if other.task_id == task.task_id:
            continue
        try:
            queue.claim(other.task_id, reviewer, now=now, lease_seconds=config.lease_seconds)
            queue.complete(other.task_id, reviewer, now=now, outcome=outcome)
        except LeaseNotHeld:
            continue
        closed.append(other.task_id)
    return closed


def sweep_copies(
    services: Services, *, queue: str, bank: str, threshold: int, now: datetime
) -> SweepResult:
    """Bank removed takedown items not banked yet, then record the removal of every stored
    copy of a banked item (docs/internals/service.md). Reads the log once, plus the decided
    takedown tasks and the bank."""
    if services.banks is None:
        return SweepResult()
    rebanked = _rebank(services, queue, bank, threshold, now)
    try:
        stored = list(services.banks.entries(bank))
        bank_threshold = services.banks.get_bank(bank).threshold
    except BankNotFound:
        return SweepResult(rebanked)
    if not stored:
        return SweepResult(rebanked)
    bits = hexes_to_array(e.hash_hex for e in stored)
    own = {e.item_id for e in stored if e.item_id}
    state = _scan_log(services)
    copies, checked = [], 0
    for item_id, hashes in state.hashes.items():
        if item_id in own or item_id in state.removed or item_id not in state.decisions:
            continue
        checked += 1
        found = _match(hashes, bits, min(threshold, bank_threshold))
        if found is None:
            continue
        index, distance = found
        entry = stored[index]
        notice_id = entry.metadata.get("notice_id") or ""
        if not notice_id or (notice_id, item_id) in state.swept:
            continue
        if _record_copy(services, entry, item_id, state.decisions[item_id], distance, now):
            copies.append(SweptCopy(item_id, notice_id, entry.item_id, distance))
    if copies:
        log.info("takedown sweep: %d cop(y/ies) removed", len(copies))
    return SweepResult(rebanked, tuple(copies), checked)


def _rebank(services: Services, queue: str, bank: str, threshold: int, now: datetime) -> int:
    """Bank the items of takedown tasks decided ``violating``/``remove`` that the bank lacks."""
    if services.review_queue is None:
        return 0
    try:
        banked = {e.item_id for e in services.banks.entries(bank)} if services.banks else set()
    except BankNotFound:
        banked = set()
    count, offset = 0, 0
    while True:
        page = services.review_queue.list_tasks(
            queues=[queue], statuses=[TaskStatus.DONE], limit=_PAGE, offset=offset
        )
        for task in page:
            spec, outcome = takedown_spec(task), task.payload.get(OUTCOME)
            if spec is None or not isinstance(outcome, Mapping) or task.item_id in banked:
                continue
            if outcome.get("verdict") != "violating" or outcome.get("action") != "remove":
                continue
            spec = {"bank": bank, "bank_threshold": threshold, **spec}
            entries, _ = bank_removed_item(
                services, spec, task.item_id, task.completed_by or BANK_CREATOR, now
            )
            if entries:
                banked.add(task.item_id)
                count += 1
        if len(page) < _PAGE:
            return count
        offset += _PAGE


@dataclass
class _LogState:
    hashes: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # item → (pdq, q)
    decisions: dict[str, str] = field(default_factory=dict)  # item → first decision id
    removed: set[str] = field(default_factory=set)  # first decision removed the item
    swept: set[tuple[str, str]] = field(default_factory=set)  # (notice id, copy) recorded


def _scan_log(services: Services) -> _LogState:
    state = _LogState()
    for _seq, event_type, item_id, _at, payload in services.store.read_rows():
        if event_type == "signals_computed" and '"hashmatch"' in payload:
            found = _hashes(json.loads(payload))
            if found:
                state.hashes[item_id] = found
        elif event_type == "decision_made" and item_id not in state.decisions:
            decision = json.loads(payload).get("decision", {})
            state.decisions[item_id] = str(decision.get("decision_id"))
            if decision.get("action") == Action.REMOVE.value:
                state.removed.add(item_id)
        elif event_type == "notice_received":
            data = json.loads(payload)
            if data.get("copy_of") and data.get("notice_id"):
                state.swept.add((str(data["notice_id"]), item_id))
    return state


def _hashes(payload: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The usable PDQ hashes hashmatch recorded: one for an image, one per frame a video."""
    for result in payload.get("results", []):
        if result.get("detector") != "hashmatch":
            continue
        evidence = result.get("evidence") or {}
        if "pdq" in evidence:
            found = [(str(evidence["pdq"]), int(evidence.get("quality", 0)))]
        else:
            found = [(str(f["pdq"]), int(f.get("quality", 0))) for f in evidence.get("frames", [])]
        return [(h, q) for h, q in found if q >= MIN_QUALITY]
    return []


def _match(
    hashes: Sequence[tuple[str, int]], bank_bits: np.ndarray, threshold: int
) -> tuple[int, int] | None:
    """(bank entry index, distance) of the nearest entry when the item matches: an image's
    hash within ``threshold``, or at least half a video's frames; else None."""
    query = hexes_to_array(h for h, _q in hashes)
    distances = np.unpackbits(
        np.bitwise_xor(query[:, np.newaxis, :], bank_bits[np.newaxis, :, :]), axis=2
    ).sum(axis=2)
    nearest = distances.argmin(axis=1)
    best = distances[np.arange(len(hashes)), nearest]
    hits = best <= threshold
    if hits.sum() == 0 or hits.sum() < MIN_FRAME_FRACTION * len(hashes):
        return None
    frame = int(np.argmin(np.where(hits, best, 257)))
    return int(nearest[frame]), int(best[frame])


def _record_copy(
    services: Services,
    entry: BankEntry,
    item_id: str,
    decision_id: str,
    distance: int,
    now: datetime,
) -> bool:
    """The copy's notice and removal, once per (notice, copy), in one transaction."""
    notice_id = entry.metadata.get("notice_id", "")
    kind = entry.metadata.get("notice_type") or NoticeType.OTHER.value
    events: list[Event] = [
        NoticeReceived(
            item_id=item_id,
            occurred_at=now,
            notice_id=notice_id,
            notice_type=NoticeType(kind),
            reference=f"copy of {entry.item_id} (PDQ distance {distance})",
            copy_of=entry.item_id,
        ),
        ReviewCompleted(
            item_id=item_id,
            occurred_at=now,
            verdict=Verdict.VIOLATING,
            reviewer=SWEEP_REVIEWER,
            label="takedown_copy",
            reason_code="takedown_copy",
            decision_id=decision_id,
            action=Action.REMOVE,
        ),
    ]
    digest = hashlib.sha256(f"{notice_id}|{item_id}".encode()).hexdigest()
    record = ImportRecord(kind=COPY_KIND, digest=digest, source="sweep", imported_at=now, events=2)
    return services.store.append_import(record, events) is None
