"""What the transparency sheets are built from (period, publication, complaints, classifier
quality, quarter figures) and what they are (``Sheet``: one CSV file)."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from deepscreen.compliance.transparency.texts import (
    COMPLAINT_INDICATORS,
    COMPLAINT_PATHS,
    IMPOSABLE,
    OUTCOME_SCOPES,
    QUALITY_INDICATORS,
)
from deepscreen.impact.dsa_estimates import Estimate, QuarterFigures, ReportPeriod


@dataclass(frozen=True, slots=True)
class Publication:
    """Sheet 1's values: who publishes, when, and when the previous report was (if ever)."""

    provider: str
    published: date
    previous: date | None = None


@dataclass(frozen=True, slots=True)
class Complaint:
    """One complaint to the internal complaint-handling system (DSA Art. 20).

    ``decided_at``/``outcome`` are None while it is pending; ``outcome`` is one of
    ``OUTCOME_SCOPES``; ``against`` one of ``COMPLAINT_INDICATORS``.
    """

    received_at: datetime
    decided_at: datetime | None = None
    outcome: str | None = None
    against: str = "visibility"

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValueError("received_at needs a time zone")
        if (self.decided_at is None) != (self.outcome is None):
            raise ValueError("a decided complaint needs both decided_at and outcome")
        if self.outcome is not None and self.outcome not in OUTCOME_SCOPES:
            raise ValueError(f"outcome {self.outcome!r} is not one of {sorted(OUTCOME_SCOPES)}")
        if self.against not in COMPLAINT_INDICATORS:
            raise ValueError(
                f"against {self.against!r} is not one of {sorted(COMPLAINT_INDICATORS)}"
            )
        if self.decided_at is not None and self.decided_at < self.received_at:
            raise ValueError("a complaint cannot be decided before it was received")


@dataclass(frozen=True, slots=True)
class ClassifierQuality:
    """Accuracy, precision and recall of one automated means (a classifier, here a policy
    revision), each a share in [0, 1]. ``note`` is added to every row's contextual information
    (e.g. the false-positive rate, or how the labels were sampled)."""

    classifier: str
    accuracy: Estimate
    precision: Estimate
    recall: Estimate
    note: str = ""

    def __post_init__(self) -> None:
        for name in QUALITY_INDICATORS:
            getattr(self, name).check_range(0.0, 1.0, f"{self.classifier} {name}")


@dataclass(frozen=True, slots=True)
class TransparencyInputs:
    """Everything the sheets are built from (each rule: docs/internals/compliance.md).

    ``statements``: the SoR dicts of the restrictions applied in the period.
    ``own_initiative_quality``: every measure the automated means take is own-initiative (the
    SoR ``source_type`` is ``SOURCE_VOLUNTARY``), so the Own-initiative quality rows repeat the
    total ones; otherwise they are blank.
    ``imposable``: the SoR restriction codes the service can impose (others: blank columns).
    ``complaint_paths``: what complaints may be against (``COMPLAINT_INDICATORS`` keys).
    """

    service: str
    period: ReportPeriod
    publication: Publication
    statements: Sequence[Mapping[str, Any]] = ()
    complaints: Sequence[Complaint] = ()
    quality: Sequence[ClassifierQuality] = ()
    quarters: Sequence[QuarterFigures] = ()
    own_initiative_quality: bool = True
    imposable: Collection[str] = IMPOSABLE
    complaint_paths: Collection[str] = COMPLAINT_PATHS


@dataclass(frozen=True, slots=True)
class Sheet:
    """One CSV file: ``name`` (the file stem, e.g. ``Part_5_own_initiative_illegal``), the
    header row and the data rows, every cell already a string."""

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.header):
                raise ValueError(
                    f"{self.name}: a row has {len(row)} cells, the header {len(self.header)}"
                )

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def csv_text(self) -> str:
        """RFC 4180: ``\\r\\n`` line ends, fields quoted only when they need it."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buffer.getvalue()

    def csv_bytes(self) -> bytes:
        """The file's content: UTF-8, no byte-order mark."""
        return self.csv_text().encode("utf-8")
