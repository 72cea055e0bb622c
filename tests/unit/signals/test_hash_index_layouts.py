"""Every chunk layout (12 to 16 chunks of 22 to 16 bits) returns exactly what brute force returns,
also when a merge changes the layout and when buckets are badly skewed."""

from __future__ import annotations

import numpy as np
import pytest

from deepscreen.signals.hashmatch import index as hash_index
from deepscreen.signals.hashmatch.index import BinaryHashIndex, brute_force_search
from deepscreen.signals.hashmatch.index_layout import chunk_count, layout_of

from .test_hash_index import chunk_bounds, dataset, flipped

LAYOUTS = (12, 13, 14, 15, 16)
RADII = (0, 1, 2, 11, 12, 13, 19, 20, 21, 30, 31, 32, 40)


@pytest.mark.parametrize("chunks", LAYOUTS)
def test_chunk_keys_are_the_bits_of_each_chunk_when_cut_in_order(chunks):
    rng = np.random.default_rng(chunks)
    hashes = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    bits = np.unpackbits(hashes, axis=1, bitorder="little").astype(np.int64)
    expected = np.stack(
        [bits[:, s : s + w] @ (1 << np.arange(w)) for s, w in chunk_bounds(chunks)], axis=1
    )
    layout = layout_of(chunks)
    assert (layout.keys(hashes) == expected).all()
    for c in range(chunks):
        assert (layout.key(hashes, c) == expected[:, c]).all()


@pytest.mark.parametrize("chunks", LAYOUTS)
def test_radius_boundary_is_inclusive_when_flips_spread_over_every_chunk(chunks):
    rng = np.random.default_rng(100 + chunks)
    query = rng.integers(0, 256, (1, 32), dtype=np.uint8)
    near = np.stack([flipped(rng, query[0], k, spread=True, chunks=chunks) for k in range(36)])
    index = BinaryHashIndex(chunks=chunks)
    index.add(near, range(36))
    index.rebuild()
    for radius in range(36):
        assert index.search(query, radius) == [[(k, k) for k in range(radius + 1)]], radius


@pytest.mark.parametrize("chunks", (12, 13))
def test_search_equals_brute_force_when_wide_chunks_merge_in_steps(chunks):
    stored, queries = dataset(chunks, 1500, 5, chunks)
    ids = np.arange(len(stored)) % 700  # duplicate ids too
    index = BinaryHashIndex(merge_threshold=700, chunks=chunks)
    for start in range(0, len(stored), 600):  # merges, then a pending delta on top
        index.add(stored[start : start + 600], ids[start : start + 600])
        end = min(start + 600, len(stored))
        for radius in RADII:
            expected = brute_force_search(stored[:end], ids[:end], queries, radius)
            assert index.search(queries, radius) == expected, (start, radius)
    assert index.pending > 0 and len(index) == len(stored)


def test_merge_reindexes_everything_when_the_chunk_count_changes(monkeypatch):
    monkeypatch.setattr(hash_index, "chunk_count", lambda n: 16 if n < 400 else 14)
    stored, queries = dataset(3, 600, 4, 14)
    ids = np.arange(len(stored))
    index = BinaryHashIndex(merge_threshold=150)
    for start in range(0, len(stored), 150):
        index.add(stored[start : start + 150], ids[start : start + 150])
        end = min(start + 150, len(stored))
        for radius in (0, 15, 31, 33):
            expected = brute_force_search(stored[:end], ids[:end], queries, radius)
            assert index.search(queries, radius) == expected, (start, radius)
    assert len(index._segment.layout.widths) == 14


@pytest.mark.parametrize("chunks", (13, 16))
def test_search_stays_exact_when_buckets_are_skewed(chunks):
    """Low-entropy hashes (blank images): most chunks share one value, buckets hold thousands."""
    rng = np.random.default_rng(chunks)
    blank = np.zeros((1, 32), dtype=np.uint8)
    stored = np.concatenate(
        [
            np.repeat(blank, 500, axis=0),
            np.stack(
                [flipped(rng, blank[0], int(k), spread=False) for k in rng.integers(0, 40, 1500)]
            ),
            rng.integers(0, 256, (500, 32), dtype=np.uint8),
        ]
    )
    queries = np.concatenate([blank, stored[[600, 900, 2200]]])
    ids = np.arange(len(stored))
    index = BinaryHashIndex(chunks=chunks)
    index.add(stored, ids)
    index.rebuild()
    for radius in (0, 5, 20, 31):
        assert index.search(queries, radius) == brute_force_search(stored, ids, queries, radius)


def test_chunk_count_follows_log2_of_the_size_within_12_to_16():
    sizes = [0, 1, 1000, 1 << 16, (1 << 16) + 1, 1 << 17, 1 << 18, 1_000_000, 1 << 22, 10**9]
    counts = [chunk_count(n) for n in sizes]
    assert counts[:4] == [16, 16, 16, 16] and chunk_count(1_000_000) == 13
    assert counts == sorted(counts, reverse=True) and min(counts) == 12
