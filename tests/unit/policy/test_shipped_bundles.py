"""Shipped bundles are found by name from the installed package, wherever deepscreen runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deepscreen.core.errors import BundleInvalid
from deepscreen.policy.bundle import load_bundle
from deepscreen.policy.shipped import SHIPPED, resolve_bundle_dir, shipped_bundle
from deepscreen.policy.testing import run_policy_tests


@pytest.fixture
def elsewhere(tmp_path: Path):
    before = Path.cwd()
    os.chdir(tmp_path)  # no policies/ folder here
    yield tmp_path
    os.chdir(before)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_name_loads_outside_a_clone(elsewhere: Path, name: str) -> None:
    bundle = load_bundle(name)
    assert Path(bundle.directory) == shipped_bundle(name) and bundle.rules


def test_policy_tests_of_a_shipped_name_run_its_test_files(elsewhere: Path) -> None:
    report = run_policy_tests("label-first")
    assert report.results and all(r.status.value == "PASS" for r in report.results)


def test_a_directory_of_that_name_wins_and_unknown_names_list_the_shipped(
    elsewhere: Path,
) -> None:
    (elsewhere / "default").mkdir()
    assert resolve_bundle_dir("default") == Path("default")
    with pytest.raises(BundleInvalid, match="nor a shipped bundle name"):
        load_bundle("nosuch")
