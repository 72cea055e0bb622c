"""BinaryHashIndex returns exactly what brute force returns: every radius, adds, merges, threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepscreen.signals.hashmatch.index import BinaryHashIndex, brute_force_search

RADII = (0, 1, 2, 15, 16, 17, 30, 31, 32, 47, 256)


def chunk_bounds(chunks: int) -> list[tuple[int, int]]:
    """(first bit, width) of each chunk when 256 bits are cut in ``chunks`` near-equal pieces,
    the wider ones first (the index's layout, restated here as the spec)."""
    widths = [256 // chunks + (c < 256 % chunks) for c in range(chunks)]
    starts = np.cumsum([0, *widths[:-1]]).tolist()
    return list(zip(starts, widths, strict=True))


def flipped(
    rng: np.random.Generator, row: np.ndarray, k: int, spread: bool, chunks: int = 16
) -> np.ndarray:
    """``row`` with exactly ``k`` bits flipped; ``spread`` puts them in as many of the layout's
    chunks as possible (the pigeonhole worst case: at k = 31 and 16 chunks every chunk differs,
    all but one by 2 bits). Bit i is bit i % 8 of byte i // 8 (``np.unpackbits``' little order)."""
    if spread:
        bounds = chunk_bounds(chunks)
        per_chunk = [k // chunks + (c < k % chunks) for c in range(chunks)]
        bits = [
            start + b
            for (start, width), n in zip(bounds, per_chunk, strict=True)
            for b in rng.choice(width, min(n, width), replace=False)
        ]
    else:
        bits = list(rng.choice(256, k, replace=False))
    out = np.unpackbits(row, bitorder="little")
    out[bits] ^= 1
    return np.packbits(out, bitorder="little")


def dataset(
    seed: int, n_random: int, n_queries: int, chunks: int = 16
) -> tuple[np.ndarray, np.ndarray]:
    """Random hashes, plus for each query a near-duplicate at every distance 0..33 (radius 31
    plus 2), half of them spread over the chunks of a ``chunks``-piece layout."""
    rng = np.random.default_rng(seed)
    queries = rng.integers(0, 256, (n_queries, 32), dtype=np.uint8)
    planted = [
        flipped(rng, q, k, spread=bool(rng.integers(2)), chunks=chunks)
        for q in queries
        for k in range(34)
    ]
    stored = np.concatenate([rng.integers(0, 256, (n_random, 32), dtype=np.uint8), planted])
    return stored[rng.permutation(len(stored))], queries


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_random=st.integers(0, 300),
    n_queries=st.integers(1, 4),
    parts=st.integers(1, 5),
    merge_threshold=st.sampled_from([None, 1, 7, 50]),
    chunks=st.sampled_from([None, 14, 15, 16]),  # 12 and 13: test_hash_index_layouts.py
)
def test_search_equals_brute_force_when_adds_interleave_searches(
    seed, n_random, n_queries, parts, merge_threshold, chunks
):
    stored, queries = dataset(seed, n_random, n_queries, chunks or 16)
    ids = np.random.default_rng(seed).permutation(len(stored)) * 7 - 100  # arbitrary, negative ok
    index = BinaryHashIndex(merge_threshold=merge_threshold, chunks=chunks)
    bounds = np.linspace(0, len(stored), parts + 1).astype(int)
    for a, b in zip(bounds, bounds[1:], strict=False):
        index.add(stored[a:b], ids[a:b])
        for radius in RADII:
            got = index.search(queries, radius)
            assert got == brute_force_search(stored[:b], ids[:b], queries, radius), radius
    assert len(index) == len(stored)


def test_radius_boundary_is_inclusive_when_pigeonhole_worst_case():
    rng = np.random.default_rng(5)
    query = rng.integers(0, 256, (1, 32), dtype=np.uint8)
    index = BinaryHashIndex()
    for k in range(34):
        index.add(flipped(rng, query[0], k, spread=True)[None], [k])
    index.rebuild()
    for radius in range(34):
        assert index.search(query, radius) == [[(k, k) for k in range(radius + 1)]]


def test_duplicates_return_every_id_sorted_by_distance_then_id():
    row = np.full((1, 32), 0xAB, dtype=np.uint8)
    near = flipped(np.random.default_rng(1), row[0], 3, spread=False)[None]
    index = BinaryHashIndex()
    index.add(np.concatenate([row, row, near, row]), [9, 4, 1, 4])
    expected = [[(4, 0), (4, 0), (9, 0), (1, 3)]]
    assert index.search(row, 31) == expected
    index.rebuild()
    assert index.search(row, 31) == expected and index.pending == 0


def test_empty_index_and_empty_queries_return_empty_lists():
    index = BinaryHashIndex()
    queries = np.zeros((3, 32), dtype=np.uint8)
    assert index.search(queries, 31) == [[], [], []]
    assert index.search(queries, 100) == [[], [], []]
    index.add(np.zeros((0, 32), np.uint8), [])
    index.rebuild()
    assert len(index) == 0 and index.search(np.zeros((0, 32), np.uint8), 5) == []


def test_merge_happens_when_delta_reaches_threshold():
    rng = np.random.default_rng(2)
    index = BinaryHashIndex(merge_threshold=10)
    index.add(rng.integers(0, 256, (9, 32), dtype=np.uint8), range(9))
    assert index.pending == 9
    index.add(rng.integers(0, 256, (1, 32), dtype=np.uint8), [9])
    assert index.pending == 0 and len(index) == 10 and index.nbytes > 0


@pytest.mark.parametrize(
    ("hashes", "ids", "message"),
    [
        (np.zeros((2, 31), np.uint8), [1, 2], "shape"),
        (np.zeros((2, 32), np.int64), [1, 2], "uint8"),
        (np.zeros(32, np.uint8), [1], "shape"),
        (np.zeros((2, 32), np.uint8), [1], "2 hashes but 1 ids"),
    ],
)
def test_add_rejects_bad_input(hashes, ids, message):
    with pytest.raises(ValueError, match=message):
        BinaryHashIndex().add(hashes, ids)


def test_search_rejects_bad_radius_and_threshold():
    with pytest.raises(ValueError, match="radius -1"):
        BinaryHashIndex().search(np.zeros((1, 32), np.uint8), -1)
    with pytest.raises(ValueError, match="merge_threshold 0"):
        BinaryHashIndex(merge_threshold=0)
    for chunks in (11, 17):
        with pytest.raises(ValueError, match=f"chunks {chunks}"):
            BinaryHashIndex(chunks=chunks)


def test_concurrent_adds_searches_and_rebuilds_stay_exact():
    stored, queries = dataset(9, 2000, 4)
    chunks = np.array_split(np.arange(len(stored)), 40)
    index = BinaryHashIndex(merge_threshold=64)
    errors: list[BaseException] = []

    def run(fn):
        try:
            fn()
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    def adder(part):
        for rows in chunks[part::2]:
            index.add(stored[rows], rows)

    def searcher():
        for _ in range(20):
            for matches in index.search(queries, 31):
                assert all(d <= 31 for _, d in matches)

    threads = [
        threading.Thread(target=run, args=(f,)) for f in (lambda: adder(0), lambda: adder(1))
    ]
    threads += [threading.Thread(target=run, args=(f,)) for f in (searcher, index.rebuild)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = np.arange(len(stored))
    assert index.search(queries, 31) == brute_force_search(stored, ids, queries, 31)
    assert len(index) == len(stored)


def test_background_merge_keeps_results_exact_and_drains_pending() -> None:
    import time

    rng = np.random.default_rng(11)
    base = rng.integers(0, 256, (5000, 32), dtype=np.uint8)
    index = BinaryHashIndex(merge_threshold=1000, merge_in_background=True)
    for start in range(0, 5000, 500):
        index.add(base[start : start + 500], list(range(start, start + 500)))
        got = index.search(base[:50], 20)
        assert got == brute_force_search(
            base[: start + 500], list(range(start + 500)), base[:50], 20
        )
    deadline = time.monotonic() + 10
    while index.pending >= 1000 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert index.pending < 1000 and len(index) == 5000
