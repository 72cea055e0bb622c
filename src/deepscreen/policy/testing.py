"""Run the ``*_test.yaml`` cases beside a policy (OPA style): PASS/FAIL/ERROR and rule coverage."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from deepscreen.policy.bundle import TEST_SUFFIX, Bundle, load_bundle
from deepscreen.policy.evaluate import evaluate, expected_signals, normalise_signals
from deepscreen.policy.model import PolicyTestCase
from deepscreen.policy.strict_yaml import read_strict

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CaseStatus(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class CaseResult:
    file: str
    name: str
    status: CaseStatus
    message: str = ""
    rule_id: str | None = None
    action: str | None = None


@dataclass(frozen=True)
class PolicyTestReport:
    directory: str
    revision: str
    results: tuple[CaseResult, ...]
    rule_ids: tuple[str, ...]
    covered: frozenset[str] = field(default_factory=frozenset)

    def count(self, status: CaseStatus) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def uncovered(self) -> tuple[str, ...]:
        return tuple(r for r in self.rule_ids if r not in self.covered)

    @property
    def coverage(self) -> float:
        """Share of rules that some test case reached as the winning rule (1.0 with no rules)."""
        return 1.0 if not self.rule_ids else len(self.covered) / len(self.rule_ids)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.status is CaseStatus.PASS for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": self.directory,
            "revision": self.revision,
            "summary": {s.value.lower(): self.count(s) for s in CaseStatus},
            "coverage": {
                "ratio": self.coverage,
                "covered": sorted(self.covered),
                "uncovered": list(self.uncovered),
            },
            "results": [
                {
                    "file": r.file,
                    "name": r.name,
                    "status": r.status.value,
                    "message": r.message,
                    "rule": r.rule_id,
                    "action": r.action,
                }
                for r in self.results
            ],
        }


def run_policy_tests(
    directory: str | Path, *, known_signals: Collection[str] | None = None
) -> PolicyTestReport:
    """Load the bundle (raising ``BundleInvalid`` if it is invalid) and run every test file."""
    bundle = load_bundle(directory, known_signals=known_signals)
    results: list[CaseResult] = []
    for path in sorted(Path(bundle.directory).glob("*" + TEST_SUFFIX)):
        results.extend(_run_file(bundle, path))
    covered = frozenset(
        r.rule_id for r in results if r.rule_id and r.status is not CaseStatus.ERROR
    )
    return PolicyTestReport(
        str(directory), bundle.revision, tuple(results), bundle.rule_ids, covered
    )


def _load_cases(path: Path) -> list[PolicyTestCase]:
    parsed = read_strict(path.read_bytes())
    if parsed.duplicates:
        raise ValueError("; ".join(parsed.duplicates))
    raw = parsed.value
    if isinstance(raw, dict) and "cases" in raw:
        raw = raw["cases"]
    if not isinstance(raw, list):
        raise ValueError("a test file holds a list of cases (or a mapping with 'cases')")
    return [PolicyTestCase.model_validate(case) for case in raw]


def _run_file(bundle: Bundle, path: Path) -> list[CaseResult]:
    try:
        cases = _load_cases(path)
    except (ValueError, ValidationError) as exc:  # YamlUnreadable is a ValueError
        message = str(exc).replace("\n", " ")
        return [CaseResult(path.name, "(file)", CaseStatus.ERROR, f"cannot load tests: {message}")]
    names = [c.name for c in cases]
    results = []
    for case in cases:
        result = _run_case(bundle, path.name, case)
        if names.count(case.name) > 1:
            result = CaseResult(path.name, case.name, CaseStatus.ERROR, "duplicate test name")
        results.append(result)
    return results


def _run_case(bundle: Bundle, file: str, case: PolicyTestCase) -> CaseResult:
    inputs = {
        "signals": normalise_signals(case.input.get("signals") or {}, expected_signals(bundle)),
        "item": dict(case.input.get("item") or {}),
    }
    decision = evaluate(bundle, inputs, item_id=case.name, decision_id=case.name, decided_at=_EPOCH)
    got = {
        "action": decision.action.value,
        "rule": decision.rule_id,
        "label": decision.action_params.get("label"),
        "queue": decision.action_params.get("queue"),
    }
    rule_id, action = decision.rule_id, decision.action.value
    if decision.errors:
        message = "; ".join(decision.errors)
        return CaseResult(file, case.name, CaseStatus.ERROR, message, rule_id, action)
    want = case.expect
    expected = {
        "action": want.action.value,
        "rule": want.rule,
        "label": want.label,
        "queue": want.queue,
    }
    # ``rule`` and the action's parameters are only compared when the test names them;
    # ``rule: default`` asserts that no rule fired.
    if want.rule == "default":
        expected["rule"] = None
    mismatches = [
        f"{key}: expected {expected[key]!r}, got {got[key]!r}"
        for key in expected
        if (
            key == "action"
            or expected[key] is not None
            or (key == "rule" and want.rule == "default")
        )
        and expected[key] != got[key]
    ]
    if mismatches:
        message = "; ".join(mismatches)
        return CaseResult(file, case.name, CaseStatus.FAIL, message, rule_id, action)
    return CaseResult(file, case.name, CaseStatus.PASS, "", rule_id, action)
