"""Exact Hamming-radius search over 256-bit hashes (PDQ) by multi-index hashing, in numpy: for
every radius exactly what ``brute_force_search`` returns (docs/internals/signals.md)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deepscreen.signals.hashmatch.index_layout import (
    HASH_BYTES,
    I64,
    MAX_CHUNKS,
    MIN_CHUNKS,
    U8,
    ChunkLayout,
    Probes,
    chunk_count,
    layout_of,
    stable_order,
)

MAX_INDEXED_RADIUS = 31
"""Radii up to this use the index; larger ones fall back to a scan (still exact)."""

_BATCH = 32  # queries per vectorised step: temporaries of about 1 MB at 1M entries
_MIN_MERGE = 4096
_SCAN_CELLS = 1 << 20  # query × stored distances computed at once by a scan

Matches = list[list[tuple[int, int]]]


def _check_hashes(hashes: Any, what: str) -> U8:
    array = np.ascontiguousarray(hashes)
    if array.dtype != np.uint8 or array.ndim != 2 or array.shape[1] != HASH_BYTES:
        raise ValueError(
            f"{what} must be an (n, 32) uint8 array, got shape {array.shape!r} of {array.dtype}"
        )
    return array


def _check_radius(radius: int) -> None:
    if not 0 <= radius <= 256:
        raise ValueError(f"radius {radius!r} must be in [0, 256] bits")


def _candidate_distances(hashes: U8, rows: np.ndarray, queries: U8, counts: np.ndarray) -> Any:
    """Distances from ``hashes[rows]`` to ``queries``, the first ``counts[0]`` rows to query 0, ...

    Only for rows sharing a chunk value within r < width bits with their query: their distance
    is at most 255, so the per-word popcounts are summed as bytes of one uint32 (a multiply, no
    overflow).
    """
    # One 32-byte gather per row: a column-by-column gather misses the cache four times.
    gathered = np.take(hashes.view("V32").reshape(-1), rows).view(np.uint8).reshape(-1, 32)
    ones = np.bitwise_count(
        gathered.view(np.uint64) ^ np.repeat(queries.view(np.uint64), counts, 0)
    )
    return (ones.view(np.uint32).reshape(-1) * np.uint32(0x01010101)) >> np.uint32(24)


def _scan(words: np.ndarray, qwords: np.ndarray, radius: int) -> tuple[Any, Any, Any]:
    """(query index, row, distance) of every stored row within ``radius``: the exhaustive way."""
    found: list[tuple[Any, Any, Any]] = []
    block = max(1, _SCAN_CELLS // max(1, len(words)))  # queries per step
    for start in range(0, len(qwords), block):
        asked = qwords[start : start + block, None, :]
        dist = np.zeros((len(asked), len(words)), dtype=np.uint16)
        for w in range(4):
            dist += np.bitwise_count(words[None, :, w] ^ asked[:, :, w])
        qidx, rows = np.nonzero(dist <= radius)
        found.append((qidx + start, rows, dist[qidx, rows]))
    return _concat(found)


def _concat(parts: list[tuple[Any, Any, Any]]) -> tuple[Any, Any, Any]:
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint16)
    q, r, d = zip(*parts, strict=True)
    return np.concatenate(q), np.concatenate(r), np.concatenate(d)


def _group(m: int, qidx: Any, ids: Any, dist: Any) -> Matches:
    """Per query, (id, distance) pairs sorted by distance then id."""
    order = np.lexsort((ids, dist, qidx))
    qidx, ids, dist = qidx[order], ids[order].tolist(), dist[order].tolist()
    bounds = np.searchsorted(qidx, np.arange(m + 1)).tolist()
    return [list(zip(ids[a:b], dist[a:b], strict=True)) for a, b in itertools.pairwise(bounds)]


def brute_force_search(
    hashes: np.ndarray, ids: Sequence[int] | np.ndarray, queries: np.ndarray, radius: int
) -> Matches:
    """The reference: XOR + popcount of every query against every stored hash."""
    stored, asked = _check_hashes(hashes, "hashes"), _check_hashes(queries, "queries")
    _check_radius(radius)
    id_array = np.asarray(ids, dtype=np.int64)
    q, rows, dist = _scan(stored.view(np.uint64), asked.view(np.uint64), radius)
    return _group(len(asked), q, id_array[rows], dist)


@dataclass(frozen=True, slots=True)
class _Segment:
    """Immutable indexed hashes. ``rows[offsets[layout.bases[c] + v] : ... + v + 1]]`` are the
    rows whose chunk ``c`` equals ``v``, ascending (``rows`` holds one such list per chunk, back
    to back, each of n rows)."""

    layout: ChunkLayout
    hashes: U8
    ids: I64
    rows: np.ndarray
    offsets: np.ndarray
    _probes: dict[int, Probes] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def empty(cls, chunks: int = MAX_CHUNKS) -> _Segment:
        layout = layout_of(chunks)
        offsets = np.zeros(layout.table_size, dtype=np.int32)
        none = np.empty(0, np.int64)
        hashes = np.empty((0, HASH_BYTES), np.uint8)
        return cls(layout, hashes, none, np.empty(0, np.int32), offsets)

    def merged(self, hashes: U8, ids: I64, chunks: int) -> _Segment:
        """A new segment with ``hashes`` appended: per chunk, a bucket-order insert, O(n) copies.
        With another chunk count, a new layout indexes everything afresh."""
        if chunks != len(self.layout.widths):
            fresh = _Segment.empty(chunks)
            if not len(self.ids):
                return fresh.merged(hashes, ids, chunks)
            everything = np.concatenate([self.hashes, hashes])
            return fresh.merged(everything, np.concatenate([self.ids, ids]), chunks)
        layout, n, d = self.layout, len(self.ids), len(ids)
        m = len(layout.widths)
        rows = np.empty(m * (n + d), dtype=np.int32)
        wide = m * (n + d) >= np.iinfo(np.int32).max
        offsets = np.empty(layout.table_size, dtype=np.int64 if wide else np.int32)
        for c, (base, width) in enumerate(zip(layout.bases, layout.widths, strict=True)):
            table = slice(base, base + (1 << width) + 1)
            key = layout.key(hashes, c)
            order = stable_order(key, width)
            old_offsets = self.offsets[table].astype(np.int64) - c * n
            # New rows go to the end of their bucket, so each bucket stays in ascending order.
            at = old_offsets[key[order] + 1] + np.arange(d)
            out = rows[c * (n + d) : (c + 1) * (n + d)]
            old = np.ones(n + d, dtype=bool)
            old[at] = False
            out[at] = order + n
            out[old] = self.rows[c * n : (c + 1) * n]
            added = np.zeros((1 << width) + 1, dtype=np.int64)
            np.cumsum(np.bincount(key, minlength=1 << width), out=added[1:])
            offsets[table] = old_offsets + added + c * (n + d)
        all_hashes = np.concatenate([self.hashes, hashes])
        return _Segment(layout, all_hashes, np.concatenate([self.ids, ids]), rows, offsets)

    def probes(self, radius: int) -> Probes:
        found = self._probes.get(radius)
        if found is None:  # a race computes it twice, alike
            found = self._probes[radius] = self.layout.probes(len(self.ids), radius)
        return found

    def search(self, queries: U8, radius: int) -> tuple[Any, Any, Any]:
        """(query index, row, distance) within ``radius`` ≤ 31, each pair once."""
        if not len(self.ids) or not len(queries):
            return _concat([])
        parts = []
        probes = self.probes(radius)
        for start in range(0, len(queries), _BATCH):
            batch = queries[start : start + _BATCH]
            slots = ((self.layout.keys(batch)[:, probes.chunk] ^ probes.mask) + probes.base).ravel()
            begin = np.take(self.offsets, slots).astype(np.int64)
            lengths = np.take(self.offsets, slots + 1) - begin
            # Expand the [begin, end) runs into one flat array of positions in ``rows``.
            skip = np.repeat(begin - (np.cumsum(lengths) - lengths), lengths)
            candidates = np.take(self.rows, skip + np.arange(len(skip)))
            counts = lengths.reshape(len(batch), -1).sum(axis=1)
            dist = _candidate_distances(self.hashes, candidates, batch, counts)
            keep = np.flatnonzero(dist <= radius)
            if not len(keep):
                continue
            qidx = np.repeat(np.arange(start, start + len(batch)), counts)[keep]
            candidates, dist = candidates[keep], dist[keep]
            # A match close in several chunks is found once per chunk: keep one.
            _, first = np.unique(qidx * len(self.ids) + candidates, return_index=True)
            parts.append((qidx[first], candidates[first], dist[first]))
        return _concat(parts)


class BinaryHashIndex:
    """Exact radius search over (n, 32) uint8 hashes with integer ids; ids need not be unique.

    Adds go to a delta that is scanned, and are merged into the indexed segment (``rebuild``) once
    the delta reaches ``merge_threshold`` (default: max(4096, n/64)). Thread-safe: one lock guards
    the state; searches and merges read immutable snapshots, so neither blocks adds for long.
    """

    def __init__(
        self,
        merge_threshold: int | None = None,
        *,
        merge_in_background: bool = False,
        chunks: int | None = None,
    ) -> None:
        """``merge_in_background``: a full delta is merged by a daemon thread instead of inside
        ``add`` (the service's choice: adds and searches never wait for a merge). ``chunks``:
        how many pieces the hash is cut into (12-16), by default ``chunk_count`` of the size at
        each merge; a merge that changes it re-indexes everything (rare: sizes only grow)."""
        self._background = merge_in_background
        if merge_threshold is not None and merge_threshold < 1:
            raise ValueError(f"merge_threshold {merge_threshold!r} must be at least 1")
        if chunks is not None and not MIN_CHUNKS <= chunks <= MAX_CHUNKS:
            raise ValueError(f"chunks {chunks!r} must be in [{MIN_CHUNKS}, {MAX_CHUNKS}]")
        self._chunks = chunks
        self._lock = threading.Lock()
        self._merge_lock = threading.Lock()  # one merge at a time
        self._merge_threshold = merge_threshold
        self._segment = _Segment.empty(chunks or MAX_CHUNKS)
        # Delta rows are [0, _delta_size) of these buffers. Appends write only beyond that end
        # and growth copies, so a snapshot view of the delta never changes under a reader.
        self._delta_hashes: U8 = np.empty((_MIN_MERGE, HASH_BYTES), dtype=np.uint8)
        self._delta_ids: I64 = np.empty(_MIN_MERGE, dtype=np.int64)
        self._delta_size = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._segment.ids) + self._delta_size

    @property
    def nbytes(self) -> int:
        """Bytes held by the index arrays: per hash 40 plus 4 per chunk (13 at a million: 92),
        plus 4 per bucket (2**width per chunk: 44 MiB at a million, 4 MiB up to 65,536)."""
        with self._lock:
            seg = self._segment
            arrays = (
                seg.hashes,
                seg.ids,
                seg.rows,
                seg.offsets,
                self._delta_hashes,
                self._delta_ids,
            )
        return sum(a.nbytes for a in arrays)

    @property
    def pending(self) -> int:
        """Hashes added but not yet merged into the indexed segment."""
        with self._lock:
            return self._delta_size

    def add(self, hashes: np.ndarray, ids: Sequence[int] | np.ndarray) -> None:
        """Store ``hashes[i]`` under ``ids[i]``; merges into the index when the delta is full."""
        array = _check_hashes(hashes, "hashes")
        id_array = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(id_array) != len(array):
            raise ValueError(f"{len(array)} hashes but {len(id_array)} ids")
        with self._lock:
            start, end = self._delta_size, self._delta_size + len(array)
            if end > len(self._delta_ids):
                self._set_delta(start, max(end, 2 * len(self._delta_ids)), 0)
            self._delta_hashes[start:end] = array
            self._delta_ids[start:end] = id_array
            self._delta_size = end
            full = end >= self._threshold()
        if full and not self._background:
            self.rebuild()
        elif full and not self._merge_lock.locked():
            threading.Thread(
                target=self._merge_until_drained, name="hash-index-merge", daemon=True
            ).start()

    def _threshold(self) -> int:
        """Pending adds that trigger a merge (lock held or not: reads one reference)."""
        return self._merge_threshold or max(_MIN_MERGE, len(self._segment.ids) // 64)

    def _merge_until_drained(self) -> None:
        """Background merges: adds that arrive during a merge are merged by the next round."""
        self.rebuild()
        while self.pending >= self._threshold():
            self.rebuild()

    def _set_delta(self, size: int, capacity: int, skip: int) -> None:
        """Copy delta rows [skip, size) into fresh buffers of ``capacity`` rows (lock held)."""
        hashes = np.empty((capacity, HASH_BYTES), dtype=np.uint8)
        ids = np.empty(capacity, dtype=np.int64)
        hashes[: size - skip] = self._delta_hashes[skip:size]
        ids[: size - skip] = self._delta_ids[skip:size]
        self._delta_hashes, self._delta_ids, self._delta_size = hashes, ids, size - skip

    def rebuild(self) -> None:
        """Merge pending adds into the indexed segment (O(n) copies, ~0.1 s at 1M); safe to call
        from a background thread while others add and search."""
        with self._merge_lock:
            with self._lock:
                segment, size = self._segment, self._delta_size
                hashes, ids = self._delta_hashes[:size], self._delta_ids[:size]
            if not size:
                return
            chunks = self._chunks or chunk_count(len(segment.ids) + size)
            merged = segment.merged(hashes, ids, chunks)
            with self._lock:
                self._segment = merged
                # Adds made during the merge stay pending.
                capacity = max(_MIN_MERGE, self._delta_size - size)
                self._set_delta(self._delta_size, capacity, size)

    def search(self, queries: np.ndarray, radius: int) -> Matches:
        """Per query, every stored (id, distance) within ``radius`` bits, by distance then id."""
        asked = _check_hashes(queries, "queries")
        _check_radius(radius)
        with self._lock:
            segment, size = self._segment, self._delta_size
            delta_hashes, delta_ids = self._delta_hashes[:size], self._delta_ids[:size]
        qwords = asked.view(np.uint64)
        if radius <= MAX_INDEXED_RADIUS:
            q, rows, dist = segment.search(asked, radius)
        else:
            q, rows, dist = _scan(segment.hashes.view(np.uint64), qwords, radius)
        if not size:
            return _group(len(asked), q, segment.ids[rows], dist)
        dq, drows, ddist = _scan(delta_hashes.view(np.uint64), qwords, radius)
        return _group(
            len(asked),
            np.concatenate([q, dq]),
            np.concatenate([segment.ids[rows], delta_ids[drows]]),
            np.concatenate([dist, ddist]),
        )
