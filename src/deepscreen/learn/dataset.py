"""Labelled image sets: a folder per class (with optional source sub-folders) or a CSV
(``path,label[,source]``); nothing is dropped silently: a missing file or an unknown label is an
error naming the line. Layouts: docs/internals/learn.md."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepscreen.core.errors import InvalidInput

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"})


class DatasetInvalid(InvalidInput):
    """A labelled set that cannot be read as given."""


@dataclass(frozen=True, slots=True)
class LabelledItem:
    path: Path
    label: int  # 1 = AI-generated, 0 = real
    source: str = ""


@dataclass(frozen=True)
class LabelledSet:
    items: tuple[LabelledItem, ...]
    origin: str

    @property
    def labels(self) -> np.ndarray:
        return np.fromiter((i.label for i in self.items), dtype=np.int64, count=len(self.items))

    @property
    def sources(self) -> list[str]:
        return [i.source for i in self.items]

    def counts(self) -> dict[str, int]:
        counts = Counter(i.label for i in self.items)
        return {"ai": counts[1], "real": counts[0]}

    def ungrouped(self) -> LabelledSet:
        """The same items without sources (for an in-distribution, stratified comparison)."""
        items = tuple(LabelledItem(i.path, i.label) for i in self.items)
        return LabelledSet(items, self.origin)

    def subset(self, keep: list[int]) -> LabelledSet:
        return LabelledSet(tuple(self.items[i] for i in keep), self.origin)


def load_labelled(path: Path, *, positive: str = "ai", negative: str = "real") -> LabelledSet:
    """A labelled set from a folder (class sub-folders) or a ``.csv`` file."""
    if path.is_dir():
        dataset = from_folders(path, positive=positive, negative=negative)
    elif path.is_file() and path.suffix.lower() == ".csv":
        dataset = from_csv(path, positive=positive, negative=negative)
    else:
        raise DatasetInvalid(f"{str(path)!r} is neither a folder of class folders nor a .csv file")
    counts = dataset.counts()
    if min(counts.values()) < 2:
        raise DatasetInvalid(
            f"{path}: need at least 2 images of each class, found {counts['ai']} {positive!r} "
            f"and {counts['real']} {negative!r}"
        )
    return dataset


def from_folders(root: Path, *, positive: str = "ai", negative: str = "real") -> LabelledSet:
    classes = {positive: 1, negative: 0}
    missing = [name for name in classes if not (root / name).is_dir()]
    if missing:
        found = sorted(p.name for p in root.iterdir() if p.is_dir())
        raise DatasetInvalid(
            f"{root}: expected class folders {positive!r} and {negative!r}; missing "
            f"{', '.join(map(repr, missing))} (found: {', '.join(found) or 'none'})"
        )
    items = []
    for name, label in classes.items():
        folder = root / name
        for file in sorted(folder.rglob("*")):
            relative = file.relative_to(folder)
            if any(part.startswith(".") for part in relative.parts) or not file.is_file():
                continue
            if file.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            source = relative.parts[0] if len(relative.parts) > 1 else ""
            items.append(LabelledItem(file, label, source))
    return LabelledSet(tuple(items), str(root))


def _csv_rows(path: Path, header: tuple[str, str], shown: str) -> list[list[str]]:
    """The rows of a CSV whose first two header cells are ``header``; ``DatasetInvalid`` if
    it cannot be read or the header differs (``shown`` is the header as the message names it)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetInvalid(f"cannot read {str(path)!r}: {exc}") from exc
    if not rows or tuple(c.strip().lower() for c in rows[0][:2]) != header:
        raise DatasetInvalid(f"{path}: the first line must be the header {shown}")
    return rows


def from_csv(path: Path, *, positive: str = "ai", negative: str = "real") -> LabelledSet:
    values = {positive: 1, "1": 1, negative: 0, "0": 0}
    rows = _csv_rows(path, ("path", "label"), "path,label[,source]")
    has_source = len(rows[0]) > 2 and rows[0][2].strip().lower() == "source"
    items, problems = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            problems.append(f"line {number}: expected path,label")
            continue
        file = (path.parent / row[0].strip()).resolve()
        label = values.get(row[1].strip().lower())
        if label is None:
            problems.append(
                f"line {number}: label {row[1]!r} is not {positive!r}, {negative!r}, 1 or 0"
            )
        elif not file.is_file():
            problems.append(f"line {number}: {row[0]!r} does not exist")
        else:
            source = row[2].strip() if has_source and len(row) > 2 else ""
            items.append(LabelledItem(file, label, source))
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise DatasetInvalid(f"{path}: {len(problems)} bad line(s): {shown}{more}")
    return LabelledSet(tuple(items), str(path))


def dataset_digest(dataset: LabelledSet, content_ids: Sequence[str]) -> str:
    """SHA-256 over each item's path (relative to the set's folder), label, source and content
    hash (``content_ids``: ``sha256:<hex>`` of its bytes, one per item, as the loader gave
    them), in path order: the same files give the same digest wherever the folder lies."""
    root = Path(dataset.origin)
    base = (root if root.is_dir() else root.parent).resolve()
    entries = []
    for item, content_id in zip(dataset.items, content_ids, strict=True):
        try:
            relative = item.path.resolve().relative_to(base).as_posix()
        except ValueError:
            relative = item.path.name
        entries.append((relative, item, content_id.removeprefix("sha256:")))
    digest = hashlib.sha256()
    for relative, item, content in sorted(entries, key=lambda e: e[0]):
        digest.update(f"{relative}\t{item.label}\t{item.source}\t{content}\n".encode())
    return digest.hexdigest()


def read_groups(path: Path) -> dict[str, str]:
    """A ``source,group`` CSV (header required): which family each source belongs to."""
    rows = _csv_rows(path, ("source", "group"), "source,group")
    mapping: dict[str, str] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise DatasetInvalid(f"{path}: line {number}: expected source,group")
        source = row[0].strip()
        if source in mapping:
            raise DatasetInvalid(f"{path}: line {number}: source {source!r} listed twice")
        mapping[source] = row[1].strip()
    return mapping


def regroup(dataset: LabelledSet, groups: dict[str, str]) -> LabelledSet:
    """The same items with each source replaced by its group; every source must be listed."""
    missing = sorted({i.source for i in dataset.items} - set(groups))
    if missing:
        raise DatasetInvalid(
            f"the groups file does not list source(s) {', '.join(map(repr, missing))}"
        )
    items = tuple(LabelledItem(i.path, i.label, groups[i.source]) for i in dataset.items)
    return LabelledSet(items, dataset.origin)
