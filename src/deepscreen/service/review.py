"""Review outcomes as events, and the closed loop that banks confirmed deepfakes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from deepscreen.core.banks import Bank, BankEntry, BankPurpose
from deepscreen.core.errors import BankNotFound
from deepscreen.core.events import ReviewCompleted, SignalsComputed, Verdict
from deepscreen.service.scan import Services
from deepscreen.signals.hashmatch import MIN_QUALITY

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
    assert services.banks is not None
    try:
        return services.banks.get_bank(name)
    except BankNotFound:
        bank = Bank(
            name,
            BankPurpose.BLOCK,
            review.occurred_at,
            AUTO_CREATOR,
            description="hashes of items reviewers confirmed (closed loop)",
        )
        services.banks.create_bank(bank)
        return bank
