"""The hash-match benchmark runs end to end, small, and writes its JSON (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "hash_match.py"


def test_hash_benchmark_is_exact_and_writes_rates(tmp_path):
    out = tmp_path / "r.json"
    args = ["--entries", "20000", "--queries", "200", "--images", "1", "--rounds", "1"]
    proc = subprocess.run(
        [sys.executable, str(BENCH), *args, "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    lookup, hashing = result["lookup"], result["hashing"]
    assert lookup["entries"] == 20000 and lookup["queries"] == 200
    assert lookup["recall_vs_brute_force"] == 1.0 and lookup["identical_results"] is True
    assert lookup["queries_with_a_match"] >= 100  # the near-duplicate half always matches
    assert lookup["ratio_index_over_brute_force"] > 0
    assert lookup["index"]["nbytes"] > 20000 * 32
    assert lookup["index"]["incremental"]["adds_per_s"] > 0
    if lookup["faiss"] is not None:  # the anchor, when faiss-cpu is installed
        faiss = lookup["faiss"]
        assert faiss["flat"]["recall_vs_brute_force"] == 1.0
        assert faiss["multihash"]["recall_vs_brute_force"] == 1.0
        assert 0 < faiss["multihash_inexact"]["recall_vs_brute_force"] <= 1.0
        assert set(lookup["ratio_index_over_faiss"]) == {"flat", "multihash", "multihash_inexact"}
        assert set(lookup["ratio_index_over_faiss_cpu"]) == set(lookup["ratio_index_over_faiss"])
        assert "IndexBinaryMultiHash inexact" in proc.stdout
    assert hashing["images"] == 2
    assert set(hashing["images_per_s"]) >= {"bare_decode", "decode_plus_pdq_hash"}
    assert hashing["ratio_decode_plus_hash_over_bare"] > 0
    assert "ratio index/brute" in proc.stdout
