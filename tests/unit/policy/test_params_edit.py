"""Setting a policy's params edits the values and nothing else: comments, layout, folded text
and every other line of the file people wrote stay as they were."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
import yaml

from deepscreen.core.errors import PolicyError
from deepscreen.policy.params_edit import set_params
from deepscreen.policy.shipped import SHIPPED, resolve_bundle_dir


@pytest.mark.parametrize(
    "text",
    [
        "params:\n  remove_min_score:   # note\n    value: 0.5  # keep\n    max: 1.0\n",
        "params:\n  remove_min_score: 0.5  # keep\nrules: []\n",
        "params:\n  remove_min_score: {value: 0.5, max: 1.0}  # keep\n",
        "params: {remove_min_score: 0.5}\n",
        "params:\n    remove_min_score:\n        value: 0.5\nrules:\n-   id: r\n    when: 'true'\n",
    ],
)
def test_a_param_is_set_in_any_layout(text: str) -> None:
    edited = set_params(text, {"remove_min_score": 0.75})
    value = yaml.safe_load(edited)["params"]["remove_min_score"]
    assert (value["value"] if isinstance(value, dict) else value) == 0.75
    assert ("# keep" in edited) == ("# keep" in text)
    changed = [line for line in edited.splitlines() if line not in text.splitlines()]
    assert len(changed) == 1 and "0.75" in changed[0]


@pytest.mark.parametrize("bundle", sorted(SHIPPED))
def test_on_the_shipped_bundles_only_the_value_lines_change(bundle: str) -> None:
    for path in sorted(resolve_bundle_dir(bundle).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        names = re.findall(r"^  (\w+_min_score):$", text, re.M)
        if not names or path.name.endswith("_test.yaml"):
            continue
        edited = set_params(text, dict.fromkeys(names, 0.4242))
        diff = [
            line
            for line in difflib.unified_diff(text.splitlines(), edited.splitlines(), n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")
        ]
        assert len(diff) == 2 * len(names), (path, diff)
        assert all(re.fullmatch(r"[-+] +value: [0-9.]+", line) for line in diff), diff


def test_a_param_the_file_does_not_define_is_refused() -> None:
    with pytest.raises(KeyError):
        set_params("params:\n  a: 1\n", {"b": 0.5})


def test_an_edit_that_would_change_meaning_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import deepscreen.policy.params_edit as module

    class Changing(module.YAML):  # a round trip that changes more than the params
        def dump(self, data, stream=None, **kw):
            data["something"] = "else"
            return super().dump(data, stream, **kw)

    monkeypatch.setattr(module, "YAML", Changing)
    with pytest.raises(PolicyError, match="would change more than those params"):
        set_params("params:\n  a: 1\n", {"a": 0.5})


def test_the_file_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("params:\n  a: 1  # c\n")
    set_params(path.read_text(), {"a": 2.0})
    assert path.read_text() == "params:\n  a: 1  # c\n"
