"""The shipped policy bundles pass their own tests with full rule coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepscreen.policy.testing import run_policy_tests
from deepscreen.signals.registry import discover

ROOT = Path(__file__).resolve().parents[2] / "policies"
BUNDLES = sorted(p for p in ROOT.iterdir() if p.is_dir() and list(p.glob("*.yaml")))


@pytest.mark.parametrize("directory", BUNDLES, ids=lambda p: p.name)
def test_shipped_bundle_passes_with_full_coverage(directory: Path) -> None:
    report = run_policy_tests(directory, known_signals=[*discover(), "ensemble"])
    failing = [f"{r.status}: {r.name}: {r.message}" for r in report.results if r.status != "PASS"]
    assert report.ok, failing
    assert report.uncovered == ()
