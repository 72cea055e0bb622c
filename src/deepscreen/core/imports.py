"""Imports of impact inputs (views, labels, appeals, notices) as the event store records them:
content is identified by the digest of its normalised rows, so the same data imported again (in
any order or format) is recognised and applied once (``EventStore.append_import``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportRecord:
    """One applied import: its ``kind`` (``views``, ``labels``, …), the SHA-256 ``digest`` of
    its normalised rows, the file it came from (``source``, as given), when it was applied and
    how many events it appended."""

    kind: str
    digest: str
    source: str
    imported_at: datetime
    events: int

    def __post_init__(self) -> None:
        if len(self.digest) != 64 or any(c not in "0123456789abcdef" for c in self.digest):
            raise ValueError(f"digest {self.digest!r} is not a lowercase SHA-256 hex digest")
        if self.events < 0:
            raise ValueError(f"events must be >= 0, got {self.events!r}")
