"""The policy test runner: PASS/FAIL/ERROR, coverage, and bad test files."""

from __future__ import annotations

from pathlib import Path

from deepscreen.policy.testing import CaseStatus, run_policy_tests

POLICY = """
rules:
  - id: label_ai
    when: "!signals.m.abstained && signals.m.score >= 0.9"
    action: {type: label, label: ai}
  - id: never_tested
    when: "has(item.x) && item.x == 1"
    action: {type: remove}
  - id: crashes
    when: "signals.m.score > 2.0"
    action: {type: remove}
default: {type: allow}
"""
TESTS = """
- name: passes
  input: {signals: {m: {score: 1.0}}}
  expect: {action: label, rule: label_ai, label: ai}
- name: fails
  input: {signals: {m: {score: 1.0}}}
  expect: {action: remove}
- name: errors
  input: {signals: {m: {abstained: true}}}
  expect: {action: allow, rule: default}
"""


def test_runner_reports_pass_fail_error_and_coverage(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "policy_test.yaml").write_text(TESTS)
    report = run_policy_tests(tmp_path)
    statuses = {r.name: r.status for r in report.results}
    assert statuses == {
        "passes": CaseStatus.PASS,
        "fails": CaseStatus.FAIL,
        "errors": CaseStatus.ERROR,
    }
    assert report.covered == {"label_ai"}
    assert report.uncovered == ("never_tested", "crashes")
    assert not report.ok
    fail = next(r for r in report.results if r.name == "fails")
    assert "action: expected 'remove', got 'label'" in fail.message
    data = report.to_dict()
    assert data["summary"] == {"pass": 1, "fail": 1, "error": 1}


def test_invalid_test_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "bad_test.yaml").write_text("- name: x\n  expect: {action: explode}\n")
    report = run_policy_tests(tmp_path)
    assert [r.status for r in report.results] == [CaseStatus.ERROR]
    assert "cannot load tests" in report.results[0].message


def test_no_cases_is_not_ok(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    assert not run_policy_tests(tmp_path).ok
