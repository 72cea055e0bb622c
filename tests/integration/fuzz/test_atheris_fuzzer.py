"""A bounded run of the coverage-guided fuzzer (fuzz/scan_bytes_fuzzer.py) finds nothing."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

FUZZER = Path(__file__).resolve().parents[3] / "fuzz" / "scan_bytes_fuzzer.py"


def test_scan_fuzzer_runs_clean_for_a_bounded_number_of_inputs(tmp_path):
    if importlib.util.find_spec("atheris") is None:
        if os.environ.get("CI"):
            pytest.fail("atheris is not installed; .ci/run installs the 'fuzz' extra")
        pytest.skip("atheris is not installed: pip install -e '.[fuzz]'")
    proc = subprocess.run(
        [
            sys.executable,
            str(FUZZER),
            "-atheris_runs=4000",
            "-timeout=20",
            "-max_len=300000",
            "-rss_limit_mb=4096",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    tail = "\n".join(proc.stderr.splitlines()[-30:])
    # A finding leaves an artifact (crash-, timeout-, oom-, leak-) and a libFuzzer error line.
    # The exit status alone is not used: it can be a signal delivered during interpreter
    # shutdown after "Done", which says nothing about the inputs.
    assert "Done 4000" in proc.stderr, tail
    assert "ERROR: libFuzzer" not in proc.stderr and "Uncaught Python exception" not in (
        proc.stderr
    ), tail
    assert not [p.name for p in tmp_path.iterdir()], tail
