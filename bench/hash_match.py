"""Benchmark: PDQ bank lookups through BinaryHashIndex vs brute force, and PDQ hashing vs decode.

Lookups: a seeded bank of random 256-bit hashes, a tenth of them near-duplicates (k ≤ 31 bits
flipped) of others; queries are half near-duplicates of banked entries at distances 0–31, half
random. Both methods run on one pinned core at radius 31; the index must return exactly what
brute force returns (recall 1.0), or the script exits 1. Also reports build time, memory, the
incremental add rate and, when faiss is installed (faiss-cpu), faiss in the same run as the anchor:
IndexBinaryFlat (exhaustive), IndexBinaryMultiHash with nflip 1 (exact at radius 31) and with
nflip 0 (inexact: exact bucket hits only), each on one thread.
Hashing: images/s of decode + ``pdq_hash`` vs bare Pillow decode of the same 1024×768 files.
Writes bench/results/hash_match.json.

    .venv/bin/python bench/hash_match.py [--entries 1000000] [--queries 2000] [--images 24]
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pdqhash
from bench_images import SIZE, make_images
from PIL import Image

from deepscreen.signals.hashmatch.index import BinaryHashIndex, brute_force_search
from deepscreen.signals.hashmatch.pdq import hash_reduction_factor, pdq_hash

RESULTS = Path(__file__).parent / "results" / "hash_match.json"
RADIUS = 31


def flip_bits(rng: np.random.Generator, hashes: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Copies of ``hashes`` with exactly ``distances[i]`` distinct bits flipped in row i."""
    out = hashes.copy()
    for i, k in enumerate(distances.tolist()):
        bits = rng.choice(256, size=k, replace=False)
        np.bitwise_xor.at(out[i], bits // 8, (1 << (bits % 8)).astype(np.uint8))
    return out


def make_bank(rng: np.random.Generator, entries: int) -> np.ndarray:
    bank = rng.integers(0, 256, (entries, 32), dtype=np.uint8)
    dups = rng.choice(entries, size=entries // 10, replace=False)
    sources = rng.integers(0, entries, size=len(dups))
    bank[dups] = flip_bits(rng, bank[sources], rng.integers(0, RADIUS + 1, size=len(dups)))
    return bank


def make_queries(rng: np.random.Generator, bank: np.ndarray, count: int) -> np.ndarray:
    near = count // 2
    picked = bank[rng.integers(0, len(bank), size=near)]
    near_dups = flip_bits(rng, picked, rng.integers(0, RADIUS + 1, size=near))
    random = rng.integers(0, 256, (count - near, 32), dtype=np.uint8)
    return np.concatenate([near_dups, random])[rng.permutation(count)]


def rss_peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def build_index(bank: np.ndarray, ids: np.ndarray) -> tuple[BinaryHashIndex, dict]:
    gc.collect()
    rss_before = rss_peak_bytes()
    tracemalloc.start()
    start = time.perf_counter()
    index = BinaryHashIndex()
    index.add(bank, ids)
    index.rebuild()
    build_s = time.perf_counter() - start
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return index, {
        "build_s": build_s,
        "nbytes": index.nbytes,
        "bytes_per_entry": index.nbytes / len(ids),
        "tracemalloc_current_bytes": current,
        "tracemalloc_peak_bytes": peak,
        "peak_rss_growth_bytes": rss_peak_bytes() - rss_before,
    }


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def timed_cpu(fn):
    """``fn()``, its wall seconds and this thread's CPU seconds: when others load the machine,
    CPU time is what the lookup itself cost (faiss runs on this thread with 1 OpenMP thread)."""
    start, cpu = time.perf_counter(), time.thread_time()
    result = fn()
    return result, time.perf_counter() - start, time.thread_time() - cpu


def compare(expected: list, found: list) -> tuple[float, bool]:
    """Recall of ``found`` against ``expected`` (pairs), and whether both are identical."""
    total = sum(len(e) for e in expected)
    hits = sum(len(set(e) & set(f)) for e, f in zip(expected, found, strict=True))
    return (hits / total if total else 1.0), expected == found


def incremental_adds(index: BinaryHashIndex, rng: np.random.Generator, count: int) -> dict:
    """Adds one hash per call, as a service banking items does; merges included."""
    extra = rng.integers(0, 256, (count, 32), dtype=np.uint8)
    base_id = len(index)
    start = time.perf_counter()
    for i in range(count):
        index.add(extra[i : i + 1], [base_id + i])
    return {"adds": count, "adds_per_s": count / (time.perf_counter() - start)}


def faiss_range_search(index, queries: np.ndarray, expected: list) -> dict:
    """Time one faiss ``range_search`` at radius 31 and compare it with brute force."""
    (lims, dist, rows), search_s, cpu_s = timed_cpu(lambda: index.range_search(queries, RADIUS + 1))
    found = [
        sorted(zip(rows[a:b].tolist(), dist[a:b].tolist(), strict=True), key=lambda p: p[::-1])
        for a, b in zip(lims[:-1].tolist(), lims[1:].tolist(), strict=True)
    ]  # range_search keeps distances < radius, hence RADIUS + 1
    recall, identical = compare(expected, found)
    return {
        "lookups_per_s": len(queries) / search_s,
        "lookups_per_cpu_s": len(queries) / cpu_s,
        "recall_vs_brute_force": recall,
        "identical_results": identical,
    }


def faiss_anchors(bank: np.ndarray, queries: np.ndarray, expected: list) -> dict | None:
    """faiss on one thread, for comparison only: flat scan, and multi-hash (16 tables of 16
    bits) exact (nflip 1: within 31 bits some 16-bit chunk is within 1 bit) and inexact."""
    try:
        import faiss
    except ImportError:
        return None
    faiss.omp_set_num_threads(1)
    out: dict = {"version": faiss.__version__}
    flat = faiss.IndexBinaryFlat(256)
    (_, build_s) = timed(lambda: flat.add(bank))
    out["flat"] = {"build_s": build_s, **faiss_range_search(flat, queries, expected)}
    flat.reset()  # frees its copy of the bank
    rss_before = rss_peak_bytes()
    multi = faiss.IndexBinaryMultiHash(256, 16, 16)
    (_, build_s) = timed(lambda: multi.add(bank))
    growth = rss_peak_bytes() - rss_before
    for nflip, name in ((1, "multihash"), (0, "multihash_inexact")):
        multi.nflip = nflip
        out[name] = {
            "build_s": build_s,
            "nflip": nflip,
            "peak_rss_growth_bytes": growth,
            **faiss_range_search(multi, queries, expected),
        }
    return out


def lookups(args: argparse.Namespace) -> dict:
    rng = np.random.default_rng(args.seed)
    bank = make_bank(rng, args.entries)
    ids = np.arange(len(bank), dtype=np.int64)
    queries = make_queries(rng, bank, args.queries)
    index, build = build_index(bank, ids)
    index.search(queries[:8], RADIUS)  # warm-up
    batched, batched_s, batched_cpu = timed_cpu(lambda: index.search(queries, RADIUS))
    single, single_s = timed(lambda: [index.search(q[None], RADIUS)[0] for q in queries])
    expected, brute_s, brute_cpu = timed_cpu(lambda: brute_force_search(bank, ids, queries, RADIUS))
    chunks = len(index._segment.layout.widths)  # the layout chosen for this size
    recall, identical = compare(expected, batched)
    recall_single, identical_single = compare(expected, single)
    adds = incremental_adds(index, rng, max(1000, args.entries // 50))
    with_delta, delta_s = timed(lambda: index.search(queries, RADIUS))
    adds["pending_after"] = index.pending
    adds["lookups_per_s_with_pending"] = len(queries) / delta_s
    _, merge_s = timed(index.rebuild)
    adds["merge_s"] = merge_s
    faiss = None if args.no_faiss else faiss_anchors(bank, queries, expected)
    batched_rate = len(queries) / batched_s
    return {
        "entries": args.entries,
        "queries": args.queries,
        "radius": RADIUS,
        "matches": sum(len(e) for e in expected),
        "queries_with_a_match": sum(1 for e in expected if e),
        "index": {
            "method": f"multi-index hashing, {chunks} chunks of ~{256 // chunks} bits, numpy",
            "chunks": chunks,
            **build,
            "lookups_per_s_batched": len(queries) / batched_s,
            "lookups_per_cpu_s_batched": len(queries) / batched_cpu,
            "lookups_per_s_one_per_call": len(queries) / single_s,
            "incremental": adds,
        },
        "brute_force": {
            "method": "numpy XOR + popcount",
            "lookups_per_s": len(queries) / brute_s,
            "lookups_per_cpu_s": len(queries) / brute_cpu,
        },
        "ratio_index_over_brute_force": brute_s / batched_s,
        "recall_vs_brute_force": min(recall, recall_single),
        "identical_results": identical and identical_single,
        "faiss": faiss,
        "faiss_multihash": None if faiss is None else faiss["multihash"],
        "ratio_index_over_faiss": None
        if faiss is None
        else {
            name: batched_rate / faiss[name]["lookups_per_s"]
            for name in ("flat", "multihash", "multihash_inexact")
        },
        "ratio_index_over_faiss_cpu": None
        if faiss is None
        else {
            name: len(queries) / batched_cpu / faiss[name]["lookups_per_cpu_s"]
            for name in ("flat", "multihash", "multihash_inexact")
        },
    }


def decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB")


def library_luma(pixels: np.ndarray) -> np.ndarray:
    """The luma conversion ``pdqhash.compute`` runs before Meta's C++ (its bindings.pyx)."""
    mixed = pixels[:, :, 0] * 0.299 + pixels[:, :, 1] * 0.587 + pixels[:, :, 2] * 0.114
    return mixed.astype("float32")


def hashing(args: argparse.Namespace) -> dict:
    """Images/s (median over rounds) of each stage; rounds interleave so drift hits all alike.
    The last two split ``pdqhash.compute`` on the reduced copy: its NumPy luma, then the rest."""
    with tempfile.TemporaryDirectory() as tmp:
        blobs = [p.read_bytes() for p in make_images(Path(tmp), args.images)]
    decoded = [decode(b) for b in blobs]
    reduced = [np.asarray(im.reduce(hash_reduction_factor(*im.size))) for im in decoded]
    stages = {
        "bare_decode": (decode, blobs),
        "decode_plus_pdq_hash": (lambda b: pdq_hash(decode(b)), blobs),
        "pdq_hash_only": (pdq_hash, decoded),
        "pdqhash_full_resolution_only": (lambda im: pdqhash.compute(np.asarray(im)), decoded),
        "pdqhash_compute_on_reduced": (pdqhash.compute, reduced),
        "pdqhash_luma_on_reduced": (library_luma, reduced),
    }
    times: dict[str, list[float]] = {name: [] for name in stages}
    for _ in range(args.rounds):
        for name, (fn, items) in stages.items():
            _, seconds = timed(lambda fn=fn, items=items: [fn(x) for x in items])
            times[name].append(seconds)
    rates = {name: len(blobs) / statistics.median(t) for name, t in times.items()}
    return {
        "images": len(blobs),
        "size": f"{SIZE[0]}x{SIZE[1]}",
        "formats": "JPEG q90 + PNG, half each",
        "rounds": args.rounds,
        "images_per_s": rates,
        "ratio_pdq_hash_over_bare_decode": rates["pdq_hash_only"] / rates["bare_decode"],
        "ratio_decode_plus_hash_over_bare": rates["decode_plus_pdq_hash"] / rates["bare_decode"],
        "speedup_over_full_resolution": rates["pdq_hash_only"]
        / rates["pdqhash_full_resolution_only"],
        "luma_share_of_pdqhash_compute": rates["pdqhash_compute_on_reduced"]
        / rates["pdqhash_luma_on_reduced"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--images", type=int, default=24, help="JPEGs (and as many PNGs)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--no-faiss", action="store_true", help="Skip the faiss comparison.")
    parser.add_argument("--output", type=Path, default=RESULTS, help="Where to write the JSON.")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    load_at_start = [round(x, 2) for x in os.getloadavg()]  # others' work on this machine
    match = lookups(args)
    result = {
        "benchmark": "hash_match",
        "cores": 1,
        "lookup": match,
        "hashing": hashing(args),
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "load_average": {"start": load_at_start, "end": [round(x, 2) for x in os.getloadavg()]},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    report(result)
    print(f"wrote {args.output}")
    if match["recall_vs_brute_force"] != 1.0 or not match["identical_results"]:
        print("FAIL: the index did not return exactly what brute force returned", file=sys.stderr)
        return 1
    return 0


def report(result: dict) -> None:
    m, idx, h = result["lookup"], result["lookup"]["index"], result["hashing"]
    inc, f, mib = idx["incremental"], m["faiss"], 2**20
    lines = [
        f"{m['entries']:,} banked hashes, {m['queries']:,} queries, radius {m['radius']}, 1 core "
        f"(load average {result['load_average']['start'][0]} at start, "
        f"{result['load_average']['end'][0]} at end, {os.cpu_count()} cores)",
        f"  matches {m['matches']:,} ({m['queries_with_a_match']:,} queries with one)",
        f"  index build {idx['build_s']:.2f} s, {idx['nbytes'] / mib:.1f} MiB of arrays "
        f"(tracemalloc peak {idx['tracemalloc_peak_bytes'] / mib:.1f} MiB, "
        f"RSS peak +{idx['peak_rss_growth_bytes'] / mib:.1f} MiB)",
        f"  {idx['method']}",
        f"  index lookups/s        {idx['lookups_per_s_batched']:8.1f} batched, "
        f"{idx['lookups_per_s_one_per_call']:.1f} one per call; "
        f"{idx['lookups_per_cpu_s_batched']:.1f} batched per CPU second",
        f"  brute force lookups/s  {m['brute_force']['lookups_per_s']:8.1f}, "
        f"{m['brute_force']['lookups_per_cpu_s']:.1f} per CPU second",
        f"  ratio index/brute      {m['ratio_index_over_brute_force']:8.1f}",
        f"  recall vs brute force  {m['recall_vs_brute_force']:8.4f}, "
        f"identical: {m['identical_results']}",
        f"  single adds/s {inc['adds_per_s']:.0f} over {inc['adds']:,}; then lookups/s "
        f"{inc['lookups_per_s_with_pending']:.1f} with {inc['pending_after']:,} pending, "
        f"merge {inc['merge_s']:.3f} s",
    ]
    if f:
        lines.append(f"  faiss {f['version']}, same run, 1 thread:")
        for name, label in (
            ("flat", "IndexBinaryFlat"),
            ("multihash", "IndexBinaryMultiHash exact (nflip 1)"),
            ("multihash_inexact", "IndexBinaryMultiHash inexact (nflip 0)"),
        ):
            r = f[name]
            lines.append(
                f"    {label:40s} {r['lookups_per_s']:8.1f} lookups/s "
                f"({r['lookups_per_cpu_s']:.1f} per CPU s), recall "
                f"{r['recall_vs_brute_force']:.4f}, build {r['build_s']:.2f} s; index is "
                f"{m['ratio_index_over_faiss'][name]:.1f}x "
                f"({m['ratio_index_over_faiss_cpu'][name]:.1f}x per CPU s)"
            )
    lines.append(f"\n{h['images']} images ({h['formats']}, {h['size']}), {h['rounds']} rounds")
    lines += [f"  {name:30s} {rate:8.1f} img/s" for name, rate in h["images_per_s"].items()]
    lines.append(f"  ratio pdq_hash / bare decode:      {h['ratio_pdq_hash_over_bare_decode']:.2f}")
    lines.append(
        f"  ratio decode+hash / bare decode:   {h['ratio_decode_plus_hash_over_bare']:.2f}"
    )
    lines.append(f"  pdq_hash speed-up over full res:   {h['speedup_over_full_resolution']:.1f}x")
    lines.append(f"  luma share of pdqhash.compute:     {h['luma_share_of_pdqhash_compute']:.2f}")
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
