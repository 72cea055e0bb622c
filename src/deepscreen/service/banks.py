"""Hash-bank use cases: create and list banks, import and export bank files, bank media, match;
the caller passes its ``BankStore``. The closed loop's bank (``[banking] bank``) is created by
its first use, any other by ``create_bank`` (docs/reliability-imports.md)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from deepscreen.banks.formats import BankFileFormat as BankFileFormat
from deepscreen.banks.formats import (
    bank_file_lines,
    metadata_keys,
    parse_bank_file,
)
from deepscreen.core.banks import DEFAULT_PDQ_THRESHOLD, Bank, BankEntry, BankPurpose
from deepscreen.core.errors import BankExists, BankNotFound, ConfigError, InvalidInput
from deepscreen.media import MediaLimits as MediaLimits
from deepscreen.media import read_media_file
from deepscreen.service.scan import ScanFailure, iter_media_files
from deepscreen.signals.hashmatch.banks import BankMatch, BankMatcher
from deepscreen.signals.hashmatch.pdq import PDQ_MIN_QUALITY, PdqHash, pdq_hash
from deepscreen.store.banks.ports import BankStore

_PROGRESS_EVERY = 20_000  # lines
CLOSED_LOOP_DESCRIPTION = "hashes of items reviewers confirmed (closed loop)"


@dataclass(frozen=True)
class ImportResult:
    """``read`` entries in the file, ``added`` new to the bank; the rest were already held."""

    bank: str
    read: int
    added: int

    @property
    def skipped(self) -> int:
        return self.read - self.added


@dataclass(frozen=True)
class AddMediaResult:
    """Files hashed into ``entries`` (``added`` of them new to the bank), and files refused."""

    bank: str
    entries: tuple[BankEntry, ...]
    added: int
    failures: tuple[ScanFailure, ...] = field(default=())


@dataclass(frozen=True)
class MediaMatches:
    """One file's PDQ hash and every bank entry within its bank's threshold, nearest first."""

    source: str
    item_id: str
    hash_hex: str
    quality: int
    matches: tuple[BankMatch, ...]


def create_bank(
    store: BankStore,
    name: str,
    purpose: BankPurpose,
    *,
    created_by: str,
    now: datetime,
    threshold: int = DEFAULT_PDQ_THRESHOLD,
    description: str = "",
) -> Bank:
    """Create an empty bank; ``InvalidInput`` for a bad name or threshold, else ``BankExists``."""
    try:
        bank = Bank(name, purpose, now, created_by, threshold=threshold, description=description)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    store.create_bank(bank)
    return bank


def closed_loop_bank(name: str, *, created_by: str, now: datetime) -> Bank:
    """The declared block bank as it is created on first use (banking, import or add);
    ``ConfigError`` when the settings name it badly."""
    try:
        return Bank(name, BankPurpose.BLOCK, now, created_by, description=CLOSED_LOOP_DESCRIPTION)
    except ValueError as exc:
        raise ConfigError(f"[banking] bank: {exc}") from exc


def check_writable(store: BankStore, name: str, declared: Collection[str]) -> None:
    """Nothing when the bank exists or is declared (it will be created on first write);
    else ``BankNotFound`` saying how to create it."""
    if name in declared:
        return
    try:
        store.get_bank(name)
    except BankNotFound:
        hint = (
            f"; only {' and '.join(sorted(declared))} (the closed loop's) is created on first use"
            if declared
            else ""
        )
        raise BankNotFound(
            f"bank {name!r} does not exist: create it first with `deepscreen bank create "
            f"{name} --purpose block` (or `--purpose allow`){hint}"
        ) from None


def bank_for_writing(
    store: BankStore, name: str, declared: Collection[str], *, created_by: str, now: datetime
) -> Bank:
    """The bank ``name``, creating a declared one that does not exist yet (a concurrent
    creator may win: its bank is returned). ``BankNotFound`` for an undeclared unknown name."""
    check_writable(store, name, declared)
    try:
        return store.get_bank(name)
    except BankNotFound:
        try:
            bank = closed_loop_bank(name, created_by=created_by, now=now)
            store.create_bank(bank)
            return bank
        except BankExists:
            return store.get_bank(name)


def get_bank(store: BankStore, name: str) -> Bank:
    """The bank named ``name``, or ``BankNotFound``."""
    return store.get_bank(name)


def list_banks(store: BankStore) -> list[tuple[Bank, int]]:
    """Every bank by name, with its number of entries."""
    return store.list_banks()


def import_bank_file(
    store: BankStore,
    bank: str,
    path: Path,
    fmt: BankFileFormat,
    added_by: str,
    now: datetime,
    *,
    reason: str = "",
    on_progress: Callable[[str, int], None] | None = None,
    declared: Collection[str] = (),
) -> ImportResult:
    """Check every line of ``path``, then add all its entries in one transaction, or none.

    Raises ``BankNotFound`` before reading (unless ``bank`` is ``declared``: then the first
    import creates it, once the file is checked), ``BankFileInvalid`` listing the bad lines,
    and ``InvalidInput`` for a file that cannot be read as UTF-8 text. ``on_progress`` hears
    ``("checking", characters read so far)`` (about the bytes), then ``("writing", entries)``.
    """
    check_writable(store, bank, declared)
    source = str(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            lines = _counted(file, on_progress) if on_progress else file
            entries = parse_bank_file(
                lines, fmt, bank=bank, added_by=added_by, now=now, source=source, reason=reason
            )
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read: {exc.strerror or exc}") from exc
    if on_progress:
        on_progress("writing", len(entries))
    bank_for_writing(store, bank, declared, created_by=added_by, now=now)
    return ImportResult(bank, len(entries), store.add_entries(bank, entries))


def export_bank(store: BankStore, bank: str, fmt: BankFileFormat, out: TextIO) -> int:
    """Write every entry of ``bank`` to ``out`` in insertion order; return how many."""
    store.get_bank(bank)
    keys = metadata_keys(store.entries(bank)) if fmt is BankFileFormat.CSV else []
    count = 0

    def counted() -> Iterator[BankEntry]:
        nonlocal count
        for entry in store.entries(bank):
            count += 1
            yield entry

    out.writelines(bank_file_lines(counted(), fmt, keys))
    return count


def add_media_to_bank(
    store: BankStore,
    paths: Iterable[Path],
    bank: str,
    *,
    reason: str,
    added_by: str,
    now: datetime,
    limits: MediaLimits | None = None,
    declared: Collection[str] = (),
) -> AddMediaResult:
    """Hash each image file (directories: recursively) and bank the usable hashes at once.

    A file that cannot be read, is not an image, or hashes below quality 50 is refused with a
    message naming it; the other files are still banked. ``item_id`` is the content id. A
    ``declared`` bank that does not exist yet is created when there is something to bank.
    """
    check_writable(store, bank, declared)
    entries: list[BankEntry] = []
    failures: list[ScanFailure] = []
    for hashed_file in _hash_files(paths, limits):
        if isinstance(hashed_file, ScanFailure):
            failures.append(hashed_file)
            continue
        path, item_id, hashed = hashed_file
        entries.append(
            BankEntry(
                bank=bank,
                hash_hex=hashed.hex,
                added_at=now,
                added_by=added_by,
                reason=reason,
                item_id=item_id,
                quality=hashed.quality,
                metadata={"filename": path.name},
            )
        )
    added = 0
    if entries:
        bank_for_writing(store, bank, declared, created_by=added_by, now=now)
        added = store.add_entries(bank, entries)
    return AddMediaResult(bank, tuple(entries), added, tuple(failures))


def match_media(
    store: BankStore, paths: Iterable[Path], *, limits: MediaLimits | None = None
) -> list[MediaMatches | ScanFailure]:
    """Hash each image file and match it against every bank; refused files are failures."""
    matcher = load_matcher(store)
    results: list[MediaMatches | ScanFailure] = []
    for hashed_file in _hash_files(paths, limits):
        if isinstance(hashed_file, ScanFailure):
            results.append(hashed_file)
            continue
        path, item_id, hashed = hashed_file
        found = tuple(matcher.match(hashed.hex))
        results.append(MediaMatches(str(path), item_id, hashed.hex, hashed.quality, found))
    return results


def load_matcher(store: BankStore) -> BankMatcher:
    """Every bank and entry of the store in one exact in-memory index (the detector's too)."""
    matcher = BankMatcher()
    for bank, _count in store.list_banks():
        matcher.set_bank(bank)
    matcher.add(entry for _seq, entry in store.entries_since(None))
    matcher.compact()
    return matcher


def _hash_files(
    paths: Iterable[Path], limits: MediaLimits | None
) -> Iterator[tuple[Path, str, PdqHash] | ScanFailure]:
    """Each media file under ``paths`` with its content id and PDQ hash, or the failure that
    refused it."""
    for path in iter_media_files(paths):
        try:
            item_id, hashed = _hash_file(path, limits)
        except InvalidInput as exc:
            yield ScanFailure(str(path), exc)
        else:
            yield path, item_id, hashed


def _hash_file(path: Path, limits: MediaLimits | None) -> tuple[str, PdqHash]:
    """The content id and a usable PDQ hash of one image file, or ``InvalidInput`` naming it."""
    item = read_media_file(path, limits=limits or MediaLimits())
    if item.pixels is None:
        raise InvalidInput(f"{path}: a {item.kind.value} without decoded pixels cannot be hashed")
    hashed = pdq_hash(item.pixels)
    if hashed.quality < PDQ_MIN_QUALITY:
        raise InvalidInput(
            f"{path}: PDQ quality {hashed.quality} is below {PDQ_MIN_QUALITY}: the image is too"
            " flat or featureless for its hash to identify it (it would match unrelated images)"
        )
    return item.item_id, hashed


def _counted(lines: Iterable[str], on_progress: Callable[[str, int], None]) -> Iterator[str]:
    done = 0
    for number, line in enumerate(lines, start=1):
        done += len(line)
        if number % _PROGRESS_EVERY == 0:
            on_progress("checking", done)
        yield line
    on_progress("checking", done)
