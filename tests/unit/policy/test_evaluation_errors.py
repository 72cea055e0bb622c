"""Every evaluation error takes on_error, recorded; pathological bundles are refused at load."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from deepscreen.core.decisions import Action
from deepscreen.core.errors import BundleInvalid
from deepscreen.policy.bundle import comprehension_depth, load_bundle
from deepscreen.policy.evaluate import evaluate
from deepscreen.policy.testing import run_policy_tests

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def bundle_with(tmp_path: Path, derived: str, rule: str = "derived.x") -> Path:
    (tmp_path / "p.yaml").write_text(
        f"derived:\n  x: {derived!r}\n"
        f"rules:\n  - id: r\n    when: {rule!r}\n    action: {{type: label, label: x}}\n"
        "default: {type: allow}\non_error: {type: review, queue: policy_errors}\n"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("derived", "error"),
    [
        ("item.width / item.height > 1", "ZeroDivisionError"),  # a video has no height
        ("item.width % item.height > 1", "ZeroDivisionError"),
        ("[1, 2][item.width] > 0", "IndexError"),
        ("9223372036854775807 + item.width > 0", "OverflowError"),
        ("int('x') > 0", "RuntimeError"),
    ],
)
def test_an_evaluation_error_takes_on_error_with_the_error_recorded(
    tmp_path: Path, derived: str, error: str
) -> None:
    bundle = load_bundle(bundle_with(tmp_path, derived), known_signals=[])
    decision = evaluate(
        bundle,
        {"signals": {}, "item": {"width": 640, "height": 0}},
        item_id="v",
        decision_id="d",
        decided_at=T0,
    )
    assert decision.action is Action.REVIEW
    assert decision.action_params == {"queue": "policy_errors"}
    assert decision.rule_id == "derived.x"
    assert len(decision.errors) == 1 and error in decision.errors[0]


def test_policy_test_reports_the_error_as_error(tmp_path: Path) -> None:
    root = bundle_with(tmp_path, "item.width / item.height > 1")
    (root / "p_test.yaml").write_text(
        "- name: video\n  input: {item: {width: 640, height: 0}}\n  expect: {action: allow}\n"
    )
    report = run_policy_tests(root, known_signals=[])
    (case,) = report.results
    assert case.status.value == "ERROR" and "ZeroDivisionError" in case.message


def test_deeply_nested_yaml_is_refused_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("[" * 100_000)
    with pytest.raises(BundleInvalid, match="nested too deeply"):
        load_bundle(tmp_path)


def test_deeply_nested_yaml_in_a_test_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    root = bundle_with(tmp_path, "true")
    (root / "p_test.yaml").write_text("[" * 100_000)
    report = run_policy_tests(root, known_signals=[])
    assert [r.status.value for r in report.results] == ["ERROR"]
    assert "nested too deeply" in report.results[0].message


def test_comprehension_depth_counts_nested_macros_only() -> None:
    assert comprehension_depth("[1].all(x, x > 0)") == 1
    assert comprehension_depth("[1].all(x, [2].exists(y, (x + y) > 0))") == 2
    assert comprehension_depth("[[1]].map(a, a.map(b, [b].filter(c, c.all(d, d))))") == 4
    assert comprehension_depth("(((1)))") == 0


def test_four_nested_comprehensions_are_refused_at_load(tmp_path: Path) -> None:
    lists = "[" + ", ".join(["1"] * 100) + "]"
    slow = f"{lists}.all(a, {lists}.all(b, {lists}.all(c, {lists}.all(d, a + b + c + d > 0))))"
    with pytest.raises(BundleInvalid, match="nested 4 deep, over the 2 allowed"):
        load_bundle(bundle_with(tmp_path, slow), known_signals=[])


def test_very_long_expressions_and_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleInvalid, match="at most 4000 characters"):
        load_bundle(bundle_with(tmp_path, " || ".join(["true"] * 1000)), known_signals=[])
    (tmp_path / "p.yaml").write_text("# " + "x" * (1024 * 1024))
    with pytest.raises(BundleInvalid, match="bytes, over the 1,048,576 allowed"):
        load_bundle(tmp_path)
