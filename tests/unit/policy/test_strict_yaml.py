"""Files people write are read strictly: a key given twice is refused with both lines, in a
policy, in its tests and (tests/unit/simulate/test_scenario.py) in a scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepscreen.core.errors import BundleInvalid
from deepscreen.policy.bundle import load_bundle
from deepscreen.policy.strict_yaml import YamlUnreadable, read_strict
from deepscreen.policy.testing import run_policy_tests

POLICY = """\
params:
  threshold: 0.9
  threshold: 0.2
rules:
  - id: label_ai
    when: "!signals.a.abstained && signals.a.score >= params.threshold"
    action: {type: label, label: ai}
default: {type: allow}
"""


def test_a_policy_with_a_param_given_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    with pytest.raises(BundleInvalid) as info:
        load_bundle(tmp_path, known_signals=["a"])
    assert list(info.value.errors) == [
        "policy.yaml: params.threshold (line 3): key given twice (first on line 2); "
        "YAML would keep only the last"
    ]


def test_the_same_policy_without_the_duplicate_loads(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY.replace("  threshold: 0.2\n", ""))
    assert load_bundle(tmp_path, known_signals=["a"]).params["threshold"] == 0.9


def test_a_policy_test_case_with_a_key_given_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY.replace("  threshold: 0.2\n", ""))
    (tmp_path / "policy_test.yaml").write_text(
        "- name: high\n"
        "  signals: {a: {score: 0.95}}\n"
        "  expect: {action: label}\n"
        "  expect: {action: allow}\n"
    )
    report = run_policy_tests(tmp_path, known_signals=["a"])
    (result,) = report.results
    assert result.status.value == "ERROR"
    assert "0.expect (line 4): key given twice (first on line 3)" in result.message


def test_duplicates_are_found_at_any_depth_and_through_aliases() -> None:
    text = "a: &x {k: 1, k: 2}\nb: *x\nc: [{d: 1}, {d: 1, d: 2}]\n"
    found = read_strict(text).duplicates
    assert [p.split(":")[0] for p in found] == ["a.k (line 1)", "c.1.d (line 3)"]


def test_values_and_lines_are_those_of_yaml() -> None:
    parsed = read_strict("top:\n  list:\n    - 1\n    - {x: true}\n")
    assert parsed.value == {"top": {"list": [1, {"x": True}]}}
    assert parsed.line_of(("top", "list", 1, "x")) == 4
    assert parsed.line_of(("top", "missing")) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1, 2\n", "YAML syntax error: line 2, column 1"),
        ("a: 1\n---\nb: 2\n", "YAML syntax error"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ],
)
def test_what_is_not_yaml_is_refused_with_where(text: str, message: str) -> None:
    with pytest.raises(YamlUnreadable, match=message):
        read_strict(text)
