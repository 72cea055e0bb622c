"""``deepscreen costs init``: the cost settings file has every ``[costs]`` key, loads as
settings, quotes the demo's values with their sources, and never overwrites silently."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

from typer.testing import CliRunner

from deepscreen.cli.app import app
from deepscreen.cli.costs import ASSUMPTION, comment_sources, cost_keys
from deepscreen.settings import CostSettings, load_settings

DEMO_TOML = files("deepscreen.demo").joinpath("demo.toml").read_text(encoding="utf-8")


def _init(runner: CliRunner, path: Path, *extra: str):
    return runner.invoke(app, ["costs", "init", str(path), *extra])


def test_costs_init_writes_every_key_and_the_file_loads(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "costs.toml"
    result = _init(runner, path)
    assert result.exit_code == 0, result.output
    assert f"wrote {path}: {len(CostSettings.model_fields)} [costs] keys" in result.stdout
    text = path.read_text()
    lines = text.splitlines()
    for name, field in CostSettings.model_fields.items():
        written = [
            n for n, line in enumerate(lines) if line.startswith((f"{name} =", f"# {name} ="))
        ]
        assert len(written) == 1, name
        block = "\n".join(lines[max(0, written[0] - 8) : written[0]])
        assert f"# {name}: " in block and "# unit: " in block, name
        assert field.description is not None
        assert field.description.split()[0] in block, name
        if lines[written[0]].startswith("#"):
            assert f"not set in the demo: {ASSUMPTION}" in block, name
    demo = tomllib.loads(DEMO_TOML)["costs"]
    loaded = load_settings(path).costs
    assert loaded == CostSettings.model_validate(demo)  # the demo's values, nothing invented
    assert "USD per reviewed item" in text and "USD per view" in text


def test_costs_init_quotes_the_demo_sources(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "costs.toml"
    assert _init(runner, path).exit_code == 0
    text = " ".join(line.lstrip("# ").strip() for line in path.read_text().splitlines())
    sources = comment_sources(DEMO_TOML)
    assert "review_cost_per_item" in sources and "Levi et al. 2025" in text
    demo = tomllib.loads(DEMO_TOML)["costs"]
    dotted = [
        *(f"{k}.{kk}" for k, v in demo.items() if isinstance(v, dict) for kk in v),
        *(k for k, v in demo.items() if not isinstance(v, dict)),
    ]
    for key in dotted:
        if key in sources:
            assert " ".join(sources[key].split()) in text, key
        else:  # a value the demo gives without a source
            assert f"{key}: the demo's value, no source given: {ASSUMPTION}" in text, key


def test_costs_init_refuses_to_overwrite_without_force(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "costs.toml"
    path.write_text("mine = true\n")
    result = _init(runner, path)
    assert result.exit_code == 2
    assert "exists; pass --force" in result.output
    assert path.read_text() == "mine = true\n"
    result = _init(runner, path, "--force")
    assert result.exit_code == 0, result.output
    assert "[costs]" in path.read_text()


def test_every_cost_setting_has_a_description_and_a_unit() -> None:
    keys = cost_keys()
    assert [k.name for k in keys] == list(CostSettings.model_fields)
    assert all(k.description and k.unit for k in keys)


def test_comment_sources_joins_continuation_lines() -> None:
    text = (
        "# Costs:\n"
        "#  - a: first line\n"
        "#    continued here.\n"
        "#  - b.default: other\n"
        "# Not a bullet.\n"
        "#    not a continuation either\n"
        "[costs]\n"
    )
    assert comment_sources(text) == {"a": "first line continued here.", "b.default": "other"}
