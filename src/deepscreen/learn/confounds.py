"""Checks for the commonest way detector evaluations lie: trivial file properties (dimensions,
byte size, format, JPEG quality) that alone separate AI-generated from real images, each scored
as a one-feature classifier by its folded ROC AUC (docs/internals/learn.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image
from sklearn.metrics import roc_auc_score

# IJG (libjpeg) standard luminance quantisation table, natural (row-major) order, which is also
# the order of Pillow's ``JpegImageFile.quantization`` tables.
IJG_LUMINANCE = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.int64,
).ravel()

FEATURE_NAMES: dict[str, str] = {
    "width": "image width",
    "height": "image height",
    "pixels": "pixel count (width x height)",
    "aspect": "aspect ratio (width / height)",
    "file_size": "file size",
    "jpeg_quality": "estimated JPEG quality",
    "format": "file format",
}


@dataclass(frozen=True, slots=True)
class FileFacts:
    """Trivial properties of one image file; ``jpeg_quality`` is None for non-JPEGs."""

    width: int
    height: int
    file_size: int
    format: str
    jpeg_quality: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ConfoundFinding:
    """How well one file property alone separates the classes.

    ``auc`` is max(AUC, 1 - AUC) of the property used as a score (0.5 = no information);
    ``warning`` is ``auc > threshold``, the threshold the finding was judged against.
    """

    feature: str
    auc: float
    warning: bool
    note: str
    threshold: float = 0.9

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ijg_tables() -> npt.NDArray[np.int64]:
    """Row q-1 is libjpeg's baseline luminance table for quality q = 1..100."""
    quality = np.arange(1, 101, dtype=np.int64)
    scale = np.where(quality < 50, 5000 // quality, 200 - 2 * quality)
    tables = (IJG_LUMINANCE[None, :] * scale[:, None] + 50) // 100
    return np.clip(tables, 1, 255)


_IJG_TABLES = _ijg_tables()


def estimate_jpeg_quality(image: Image.Image) -> int | None:
    """The IJG quality (1-100) whose scaled luminance table is closest to the file's table 0.

    Closeness is the sum of absolute differences over the 64 entries (ties: the lowest
    quality). Exact for files written by libjpeg-based encoders with standard tables (Pillow,
    most cameras' software); only an approximation for encoders with custom tables.
    None for non-JPEG images or when the luminance table is missing or malformed.
    """
    if image.format not in ("JPEG", "MPO"):
        return None
    tables = getattr(image, "quantization", None)
    if not isinstance(tables, dict) or 0 not in tables:
        return None
    table = np.asarray(list(tables[0]), dtype=np.int64)
    if table.shape != (64,):
        return None
    distance = np.abs(_IJG_TABLES - table[None, :]).sum(axis=1)
    return int(np.argmin(distance)) + 1


def facts_from_image(data: bytes, image: Image.Image) -> FileFacts:
    """Facts for a file's bytes and the PIL image opened from them (it need not be loaded)."""
    width, height = image.size
    return FileFacts(
        width=int(width),
        height=int(height),
        file_size=len(data),
        format=image.format or "unknown",
        jpeg_quality=estimate_jpeg_quality(image),
    )


_NUMERIC: dict[str, Callable[[FileFacts], float]] = {
    "width": lambda f: float(f.width),
    "height": lambda f: float(f.height),
    "pixels": lambda f: float(f.width * f.height),
    "aspect": lambda f: f.width / f.height if f.height else 0.0,
    "file_size": lambda f: float(f.file_size),
    "jpeg_quality": lambda f: float(f.jpeg_quality) if f.jpeg_quality is not None else -1.0,
}


def _folded_auc(labels: npt.NDArray[np.int64], values: npt.NDArray[np.float64]) -> float:
    """max(AUC, 1 - AUC); a constant feature gives 0.5."""
    auc = float(roc_auc_score(labels, values))
    return max(auc, 1.0 - auc)


def confound_report(
    facts: Sequence[FileFacts], y: npt.ArrayLike, *, threshold: float = 0.9
) -> list[ConfoundFinding]:
    """One finding per file property, sorted by folded AUC, highest first.

    Numeric properties: width, height, pixels (w x h), aspect (w / h), file_size and
    jpeg_quality (-1 for non-JPEGs), each used directly as a score. The categorical "format" is
    scored by the positive rate of each item's format, computed on the same items (in-sample,
    so slightly optimistic for rare formats). ``warning`` is ``auc > threshold``.
    Needs 0/1 labels, one per item, with both classes present (ValueError otherwise).
    """
    if not 0.5 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0.5, 1], got {threshold!r}")
    labels = np.asarray(y)
    if labels.ndim != 1 or len(facts) != labels.size:
        raise ValueError(f"need one label per item ({len(facts)} items, {labels.size} labels)")
    if labels.size and not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 or 1 (1 = AI-generated)")
    labels = labels.astype(np.int64)
    positives = int(labels.sum())
    if positives == 0 or positives == labels.size:
        raise ValueError(
            "need both classes (AI-generated = 1 and real = 0); "
            f"got {positives} positive(s) and {labels.size - positives} negative(s)"
        )

    findings: list[ConfoundFinding] = []
    for feature, get in _NUMERIC.items():
        values = np.array([get(f) for f in facts], dtype=np.float64)
        raw = float(roc_auc_score(labels, values))
        auc = max(raw, 1.0 - raw)
        if auc == 0.5:
            direction = "no difference in ranking between the classes"
        else:
            higher = "AI-generated" if raw > 0.5 else "real"
            direction = f"higher values are more often {higher}"
        note = (
            f"{FEATURE_NAMES[feature]}: {direction}; AI-generated median "
            f"{float(np.median(values[labels == 1])):.4g}, real median "
            f"{float(np.median(values[labels == 0])):.4g}"
        )
        findings.append(ConfoundFinding(feature, auc, auc > threshold, note, threshold))

    formats = np.array([f.format for f in facts], dtype=object)
    rate_by_format: dict[str, float] = {}
    parts = []
    for name in sorted(set(formats.tolist())):
        mask = formats == name
        rate_by_format[name] = float(labels[mask].mean())
        parts.append(f"{name} {rate_by_format[name]:.0%} AI-generated (n={int(mask.sum())})")
    values = np.array([rate_by_format[name] for name in formats], dtype=np.float64)
    auc = _folded_auc(labels, values)
    note = (
        "file format, scored by each format's AI-generated rate on these same items "
        f"(in-sample, optimistic): {'; '.join(parts)}"
    )
    findings.append(ConfoundFinding("format", auc, auc > threshold, note, threshold))

    return sorted(findings, key=lambda finding: finding.auc, reverse=True)


def warnings_text(findings: Sequence[ConfoundFinding]) -> list[str]:
    """One human-readable line per finding with ``warning`` set, in the given order."""
    lines = []
    for finding in findings:
        if not finding.warning:
            continue
        name = FEATURE_NAMES.get(finding.feature, finding.feature)
        lines.append(
            f"{name} alone separates the classes (AUC {finding.auc:.2f} > "
            f"{finding.threshold:.2f}): both classes must go through the same normalisation "
            "and come from comparable sources; this evaluation may measure the dataset, "
            "not the detector"
        )
    return lines
