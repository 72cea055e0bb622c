"""Review outcomes as events, and the closed loop that banks confirmed deepfakes — and takes
them out of the block banks again when an appeal reverses the decision (``unbank_item``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from deepscreen.core.banks import Bank, BankEntry, BankPurpose, BankRemoval
from deepscreen.core.events import ReviewCompleted, SignalsComputed, Verdict
from deepscreen.service.banks import bank_for_writing
from deepscreen.service.scan import Services
from deepscreen.signals.hashmatch.detector import MIN_QUALITY

log = logging.getLogger(__name__)
AUTO_CREATOR = "deepscreen:closed-loop"


@dataclass(frozen=True)
class ReviewRecorded:
    review: ReviewCompleted
    banked: list[BankEntry]  # one hash for an image, one per distinct frame for a video
    not_banked_because: str | None = None


def record_review(services: Services, review: ReviewCompleted) -> ReviewRecorded:
    """Append the review; if it confirms a banked label as violating, bank the item's hash.

    The hashes come from the item's recorded ``hashmatch`` evidence (one for an image, one per
    sampled frame for a video), so nothing is decoded again. Banking is idempotent: a second
    review of the same item adds nothing. If banking fails after the review was stored,
    ``bank_confirmed`` can be run again for it.
    """
    services.store.append([review])
    entries, why = bank_confirmed(services, review)
    return ReviewRecorded(review, entries, why)


def bank_confirmed(
    services: Services, review: ReviewCompleted
) -> tuple[list[BankEntry], str | None]:
    """Bank the reviewed item's hashes if the review confirms a banked label; returns the
    entries (empty when nothing was banked) and, then, why not."""
    rule = services.banking
    if not rule.enabled or services.banks is None:
        return [], "banking is disabled"
    if review.verdict is not Verdict.VIOLATING or review.label not in rule.labels:
        return [], f"not a confirmed {'/'.join(sorted(rule.labels))}"
    hashes = stored_pdq(services, review.item_id)
    if not hashes:
        return [], "no PDQ hash was recorded for the item (hashmatch not enabled at scan?)"
    usable = [(pdq, q, t) for pdq, q, t in hashes if q >= MIN_QUALITY]
    if not usable:
        return [], f"PDQ quality below {MIN_QUALITY}: not banked"
    bank = ensure_bank(services, rule.bank, review)
    reason = f"review confirmed {review.label}" + (
        f" (decision {review.decision_id})" if review.decision_id else ""
    )
    entries = [
        BankEntry(
            bank=bank.name,
            hash_hex=pdq,
            added_at=review.occurred_at,
            added_by=review.reviewer,
            reason=reason,
            item_id=review.item_id,
            quality=q,
            metadata={} if t is None else {"frame_time_s": str(t)},
        )
        for pdq, q, t in dict.fromkeys(usable)
    ]
    entries = list({e.hash_hex: e for e in entries}.values())  # one entry per distinct hash
    if services.banks.add_entries(bank.name, entries) and services.matcher is not None:
        services.matcher.set_bank(bank)
        services.matcher.add(entries)
    log.info("banked %s (%d hashes) into %s", review.item_id, len(entries), bank.name)
    return entries, None


def stored_pdq(services: Services, item_id: str) -> list[tuple[str, int, float | None]]:
    """(hash, quality, frame time) the hashmatch detector recorded for the item: one for an
    image, one per sampled frame for a video; empty when none was recorded."""
    for event in reversed(services.store.for_item(item_id)):
        if not isinstance(event, SignalsComputed):
            continue
        for result in event.results:
            evidence = result.evidence
            if result.detector != "hashmatch":
                continue
            if "pdq" in evidence:
                return [(str(evidence["pdq"]), int(evidence["quality"]), None)]
            return [
                (str(f["pdq"]), int(f["quality"]), float(f["t"]))
                for f in evidence.get("frames", [])
            ]
    return []


def ensure_bank(services: Services, name: str, review: ReviewCompleted) -> Bank:
    """The closed loop's bank, created at the first banking (as a first ``bank import`` into
    it would)."""
    assert services.banks is not None
    return bank_for_writing(
        services.banks, name, {name}, created_by=AUTO_CREATOR, now=review.occurred_at
    )


def unbank_item(
    services: Services, item_id: str, *, removed_by: str, reason: str, now: datetime
) -> list[BankRemoval]:
    """Take the item's entries out of every *block* bank, so that re-uploads of it are no
    longer matched, and return them (kept by the bank store with who, when and why).

    An entry belongs to the item when it was banked under the item's id: the closed loop's
    (one hash an image, one per frame a video) or a ``bank add`` of the same file. Entries of
    *other* items that the item's hash also matches stay: that other item may be the deepfake
    made from this authentic photo (an allow bank of originals is the tool there). Allow
    banks are not touched. Idempotent: once removed, nothing is left to remove. Runs whether
    or not banking is enabled — entries banked earlier would still remove re-uploads.
    """
    if services.banks is None:
        return []
    removed = services.banks.remove_item_entries(
        item_id, purpose=BankPurpose.BLOCK, removed_at=now, removed_by=removed_by, reason=reason
    )
    if removed and services.matcher is not None:
        services.matcher.remove(r.entry for r in removed)  # this process stops matching now
    if removed:
        log.info("unbanked %s (%d hashes): %s", item_id, len(removed), reason)
    return removed
