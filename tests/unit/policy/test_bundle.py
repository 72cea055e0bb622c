"""Loading policy bundles: validate on load, refuse whole, revision = content hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepscreen.core.errors import BundleInvalid
from deepscreen.policy.bundle import load_bundle

GOOD = """
params:
  t: {value: 0.8, min: 0, max: 1}
rules:
  - id: label_ai
    when: "!signals.metadata.abstained && signals.metadata.score >= params.t"
    action: {type: label, label: ai_generated}
default: {type: allow}
"""


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def test_bundle_loads_when_valid(tmp_path: Path) -> None:
    bundle = load_bundle(write(tmp_path, GOOD), known_signals=["metadata"])
    assert bundle.rule_ids == ("label_ai",)
    assert bundle.params == {"t": 0.8}
    assert bundle.revision.startswith("r-") and len(bundle.revision) == 14


def test_revision_changes_when_content_changes(tmp_path: Path) -> None:
    first = load_bundle(write(tmp_path, GOOD)).revision
    assert load_bundle(tmp_path).revision == first
    write(tmp_path, GOOD.replace("0.8", "0.9"))
    assert load_bundle(tmp_path).revision != first


def test_revision_ignores_test_files(tmp_path: Path) -> None:
    first = load_bundle(write(tmp_path, GOOD)).revision
    write(tmp_path, "[]", "policy_test.yaml")
    assert load_bundle(tmp_path).revision == first


def test_every_error_is_listed_when_bundle_has_many(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
params:
  t: {value: 1.5, min: 0, max: 1}
rules:
  - id: broken_cel
    when: "signals.metadata.score >="
    action: {type: label, label: x}
  - id: dup
    when: "true"
    action: {type: allow}
  - id: dup
    when: "true"
    action: {type: allow}
  - id: bad_action
    when: "true"
    action: {type: obliterate}
  - id: unknown_signal
    when: "signals.vibes.score > 0.5"
    action: {type: remove}
default: {type: allow}
""",
    )
    with pytest.raises(BundleInvalid) as info:
        load_bundle(tmp_path, known_signals=["metadata"])
    text = "\n".join(info.value.errors)
    assert "above max" in text  # param out of range
    assert "rule bad_action" in text and "obliterate" not in text or "type" in text
    messages = info.value.errors
    assert any("param" in m or "params.t" in m for m in messages)
    assert any("rule bad_action" in m for m in messages)


def test_cel_compile_error_names_file_and_rule(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace(">= params.t", ">="))
    with pytest.raises(BundleInvalid) as info:
        load_bundle(tmp_path)
    assert any(
        e.startswith("policy.yaml: rule label_ai: CEL does not compile") for e in info.value.errors
    )


def test_duplicate_ids_and_unknown_signal_are_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        GOOD
        + """
  - id: label_ai
    when: "signals.vibes.score > 0.5"
    action: {type: remove}
""".replace("default: {type: allow}\n", ""),
    )
    text = (tmp_path / "policy.yaml").read_text()
    text = text.replace("default: {type: allow}\n", "") + "default: {type: allow}\n"
    write(tmp_path, text)
    with pytest.raises(BundleInvalid) as info:
        load_bundle(tmp_path, known_signals=["metadata"])
    errors = info.value.errors
    assert any("rule label_ai: duplicate id" in e for e in errors)
    assert any("unknown signal 'vibes'" in e for e in errors)


def test_unknown_param_and_variable_are_refused(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace("params.t", "params.missing && user.x"))
    with pytest.raises(BundleInvalid) as info:
        load_bundle(tmp_path)
    errors = "\n".join(info.value.errors)
    assert "unknown param 'missing'" in errors
    assert "unknown variables ['user']" in errors


def test_unknown_action_is_refused_with_rule_id(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace("type: label, label: ai_generated", "type: obliterate"))
    with pytest.raises(BundleInvalid) as info:
        load_bundle(tmp_path)
    assert any("rule label_ai: action.type" in e for e in info.value.errors)


def test_param_out_of_range_is_refused(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace("value: 0.8", "value: 1.8"))
    with pytest.raises(BundleInvalid) as info:
        load_bundle(tmp_path)
    assert any("params.t" in e and "above max" in e for e in info.value.errors)


def test_missing_default_and_yaml_errors_are_refused(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace("default: {type: allow}", ""))
    write(tmp_path, "rules: [unclosed", "extra.yaml")
    with pytest.raises(BundleInvalid) as info:
        load_bundle(tmp_path)
    errors = "\n".join(info.value.errors)
    assert "no file sets 'default'" in errors
    assert "extra.yaml: YAML syntax error" in errors


def test_rules_merge_across_files_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, "rules:\n  - {id: later, when: 'true', action: {type: review}}\n", "b.yaml")
    assert load_bundle(tmp_path).rule_ids == ("label_ai", "later")


def test_not_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleInvalid):
        load_bundle(tmp_path / "nope")
    with pytest.raises(BundleInvalid, match="no policy files"):
        load_bundle(tmp_path)
