"""CI refuses to run without the third-party test files, rather than skipping their tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "require-testdata"
NEEDED = ("c2pa-rs-fixtures", "sd-parsers-metadata", "pdq-reference")


def run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), str(root)], capture_output=True, text=True, check=False
    )


def test_an_absent_testdata_folder_fails(tmp_path: Path) -> None:
    result = run(tmp_path / "testdata")
    assert result.returncode == 1
    assert "c2pa-rs-fixtures is absent or empty" in result.stderr


def test_an_empty_subfolder_fails_and_a_complete_layout_passes(tmp_path: Path) -> None:
    for name in NEEDED:
        (tmp_path / name).mkdir()
        (tmp_path / name / "README.md").write_text("x")
    assert run(tmp_path).returncode == 0
    (tmp_path / "pdq-reference" / "README.md").unlink()
    result = run(tmp_path)
    assert result.returncode == 1 and "pdq-reference is absent or empty" in result.stderr


def test_ci_runs_the_check_before_anything_else() -> None:
    ci = (SCRIPT.parents[1] / ".ci" / "run").read_text()
    assert ci.index("scripts/require-testdata") < ci.index("scripts/setup")
