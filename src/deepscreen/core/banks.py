"""Hash banks: named lists of perceptual hashes of known items, to block or to allow."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from deepscreen.core.media import ItemId

PDQ_HEX = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_PDQ_THRESHOLD = 31  # Hamming distance; pdq/README.md of facebook/ThreatExchange
BANK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class BankPurpose(StrEnum):
    """``block``: matches are evidence against the item (e.g. confirmed deepfakes).
    ``allow``: known-authentic originals; a match suppresses block matches."""

    BLOCK = "block"
    ALLOW = "allow"


@dataclass(frozen=True, slots=True)
class Bank:
    name: str
    purpose: BankPurpose
    created_at: datetime
    created_by: str
    threshold: int = DEFAULT_PDQ_THRESHOLD  # match when Hamming distance <= threshold
    description: str = ""
    signal_type: str = "pdq"

    def __post_init__(self) -> None:
        if not BANK_NAME.match(self.name):
            raise ValueError(f"bank name {self.name!r} must be lower_snake_case, ≤ 63 chars")
        if not 0 <= self.threshold <= 128:
            raise ValueError(f"threshold {self.threshold!r} must be in [0, 128] bits")


@dataclass(frozen=True, slots=True)
class BankEntry:
    """One banked hash: who added it, when and why, and the item it came from if known."""

    bank: str
    hash_hex: str  # 64 lowercase hex characters: a 256-bit PDQ hash
    added_at: datetime
    added_by: str
    reason: str = ""
    item_id: ItemId | None = None
    quality: int | None = None  # PDQ quality 0..100 when known
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not PDQ_HEX.match(self.hash_hex):
            raise ValueError(f"{self.hash_hex!r} is not a PDQ hash (64 lowercase hex characters)")


@dataclass(frozen=True, slots=True)
class BankRemoval:
    """An entry taken out of its bank, kept with who removed it, when and why (e.g. an appeal
    reversed the decision that banked it). A removed hash no longer matches nor is exported;
    adding it again later makes a new entry."""

    entry: BankEntry
    removed_at: datetime
    removed_by: str
    reason: str
