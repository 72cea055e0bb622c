"""How a 256-bit hash is cut into chunks for multi-index hashing, and which buckets a search at
a given radius probes (docs/internals/signals.md, "hashmatch.index")."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

HASH_BYTES = 32
HASH_BITS = 8 * HASH_BYTES
MIN_CHUNKS, MAX_CHUNKS = 12, 16  # chunks of 22 to 16 bits: tables of 4M to 64K buckets

U8 = np.ndarray[Any, np.dtype[np.uint8]]
I64 = np.ndarray[Any, np.dtype[np.int64]]


def chunk_count(n: int) -> int:
    """Chunks for an index of ``n`` hashes: about log2(n) bits each, so that a bucket holds
    about one hash and a search costs about as many bucket probes as candidates to verify."""
    if n <= 1 << 16:
        return MAX_CHUNKS
    return max(MIN_CHUNKS, min(MAX_CHUNKS, round(HASH_BITS / math.log2(n))))


@lru_cache(maxsize=64)
def _flips(width: int, radius: int) -> I64:
    """Every ``width``-bit mask of at most ``radius`` set bits, fewest bits first."""
    masks = [
        sum(1 << b for b in bits)
        for k in range(radius + 1)
        for bits in itertools.combinations(range(width), k)
    ]
    return np.array(masks, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Probes:
    """The bucket probes of one search radius, per query: slot = key[chunk] ^ mask + base."""

    chunk: np.ndarray  # (P,) which chunk each probe reads
    mask: I64  # (P,) the bits flipped in that chunk's key
    base: I64  # (P,) where that chunk's table starts in the flat offsets array


@dataclass(frozen=True, slots=True)
class ChunkLayout:
    """How the 256 bits are cut: chunk c is bits [starts[c], starts[c] + widths[c]) of the hash
    read as a little-endian integer; its table is offsets[bases[c] : bases[c] + 2**widths[c] + 1].
    """

    widths: tuple[int, ...]
    starts: tuple[int, ...]
    bases: tuple[int, ...]
    _word: np.ndarray = field(compare=False, repr=False)  # (m,) the word a chunk starts in
    _shift: np.ndarray = field(compare=False, repr=False)  # (m,) uint64 bit offset in it
    _next: np.ndarray = field(compare=False, repr=False)  # (m,) the word it runs into, or 4 (0)
    _spill: np.ndarray = field(compare=False, repr=False)  # (m,) uint64 left shift of that word
    _mask: np.ndarray = field(compare=False, repr=False)  # (m,) uint64 2**width - 1

    @classmethod
    def of(cls, chunks: int) -> ChunkLayout:
        wide, short = HASH_BITS % chunks, HASH_BITS // chunks
        widths = (short + 1,) * wide + (short,) * (chunks - wide)
        starts = tuple(itertools.accumulate(widths, initial=0))[:-1]
        bases = tuple(itertools.accumulate(((1 << w) + 1 for w in widths), initial=0))
        word, shift = np.divmod(np.array(starts), 64)
        # A chunk that ends in its start word reads the zero word 4 as its next one.
        spills = shift + np.array(widths) > 64
        after, spill = np.where(spills, word + 1, 4), np.where(spills, 64 - shift, 0)
        mask = (np.uint64(1) << np.array(widths, dtype=np.uint64)) - np.uint64(1)
        return cls(
            widths,
            starts,
            bases[:-1],
            word,
            shift.astype(np.uint64),
            after,
            spill.astype(np.uint64),
            mask,
        )

    @property
    def table_size(self) -> int:
        return self.bases[-1] + (1 << self.widths[-1]) + 1

    def keys(self, hashes: U8) -> I64:
        """(n, chunks) chunk values of (n, 32) hashes."""
        if len(self.widths) == 16:  # 16-bit chunks are the little-endian uint16s
            return hashes.view("<u2").astype(np.int64)
        words = np.zeros((len(hashes), 5), dtype=np.uint64)  # a zero word after the last
        words[:, :4] = hashes.view("<u8")
        low = words[:, self._word] >> self._shift
        high = words[:, self._next] << self._spill
        keys: I64 = ((low | high) & self._mask).astype(np.int64)
        return keys

    def key(self, hashes: U8, c: int) -> I64:
        """Chunk ``c``'s values of (n, 32) hashes (a merge's way: no (n, chunks) temporaries)."""
        words = hashes.view("<u8")
        value = words[:, self._word[c]] >> self._shift[c]
        if self._next[c] < 4:
            value |= words[:, self._next[c]] << self._spill[c]
        key: I64 = (value & self._mask[c]).astype(np.int64)
        return key

    def probes(self, n: int, radius: int) -> Probes:
        """The cheapest per-chunk radii r_c (-1: chunk not probed) with sum(r_c + 1) > radius,
        a probe and a candidate costing alike: a chunk's next radius adds its new masks times
        (1 + the hashes expected in a bucket, n / 2**width)."""
        radii = [-1] * len(self.widths)

        def extra(c: int) -> tuple[float, int]:
            width, r = self.widths[c], radii[c] + 1
            new = math.comb(width, r)
            return new * (1 + n / (1 << width)), c

        for _ in range(radius + 1):
            radii[min(range(len(radii)), key=extra)] += 1
        pairs = enumerate(zip(self.widths, radii, strict=True))
        parts = [(c, _flips(w, r)) for c, (w, r) in pairs if r >= 0]
        return Probes(
            np.concatenate([np.full(len(m), c, dtype=np.intp) for c, m in parts]),
            np.concatenate([m for _, m in parts]),
            np.concatenate([np.full(len(m), self.bases[c], dtype=np.int64) for c, m in parts]),
        )


@lru_cache(maxsize=8)
def layout_of(chunks: int) -> ChunkLayout:
    return ChunkLayout.of(chunks)


def stable_order(keys: I64, width: int) -> Any:
    """``np.argsort(keys, kind="stable")`` for keys below 2**width, as 16-bit radix passes."""
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    if width > 16:
        high = (keys >> 16).astype(np.uint16)[order]
        order = order[np.argsort(high, kind="stable")]
    return order
