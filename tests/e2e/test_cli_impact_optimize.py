"""``impact optimize`` end to end on a SQLite store (own Typer app: the lead registers the
command under ``deepscreen impact optimize``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer

from deepscreen.bootstrap import open_store
from deepscreen.cli.impact_optimize import optimize
from deepscreen.core.decisions import Action, Decision
from deepscreen.core.events import (
    DecisionMade,
    Event,
    ItemIngested,
    ReviewCompleted,
    SignalsComputed,
    Verdict,
    ViewsObserved,
)
from deepscreen.core.media import MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.policy.bundle import load_bundle
from deepscreen.policy.testing import run_policy_tests
from deepscreen.signals.registry import discover

T0 = datetime(2026, 6, 1, tzinfo=UTC)
DEMO_TOML = Path(__file__).parents[2] / "src" / "deepscreen" / "demo" / "demo.toml"
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}
CONFIG = """
[ensemble]
enabled = true

[costs]
currency = "EUR"
review_cost_per_item = 1.0
wrongful_action_cost = {remove = 10.0, label = 4.0}
harm_per_violating_view = {default = 0.1}
"""


def impact_app() -> typer.Typer:
    app = typer.Typer(
        pretty_exceptions_enable=False, add_completion=False, rich_markup_mode="markdown"
    )

    @app.callback()
    def impact() -> None:
        """Impact commands."""

    app.command("optimize")(optimize)
    return app


def item_events(
    item_id: str, score: float, violating: bool | None, views: int | None
) -> list[Event]:
    """One scanned item's events; ``views`` None: no ViewsObserved recorded."""
    decision = Decision(f"d-{item_id}", item_id, "r-base", None, Action.ALLOW, T0)
    events: list[Event] = [
        ItemIngested(
            item_id=item_id,
            occurred_at=T0,
            kind=MediaKind.IMAGE,
            mime="image/png",
            width=1,
            height=1,
            size_bytes=1,
            attributes={"category": "news"},
        ),
        SignalsComputed(
            item_id=item_id, occurred_at=T0, results=(SignalResult.scored("ensemble", "1", score),)
        ),
        DecisionMade(item_id=item_id, occurred_at=T0, decision=decision),
    ]
    if views is not None:
        events.append(
            ViewsObserved(item_id=item_id, occurred_at=T0 + timedelta(hours=1), views=views)
        )
    if violating is not None:
        verdict = Verdict.VIOLATING if violating else Verdict.NOT_VIOLATING
        events.append(
            ReviewCompleted(
                item_id=item_id,
                occurred_at=T0 + timedelta(hours=2),
                verdict=verdict,
                reviewer="label-import:truth.csv",
            )
        )
    return events


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    store = open_store(url)
    try:
        rows = [
            ("a", 0.95, True, 100),
            ("b", 0.85, True, 100),
            ("c", 0.7, False, 100),
            ("d", 0.55, True, 30),
            ("e", 0.4, False, 30),
            ("f", 0.2, False, 10),
            ("g", 0.6, None, 10),
        ]
        for item_id, score, violating, views in rows:
            store.append(item_events(item_id, score, violating, views))
    finally:
        store.close()
    return url


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "deepscreen.toml"
    path.write_text(CONFIG)
    return path


def test_optimize_prints_thresholds_frontier_assumptions_and_writes_a_candidate(
    runner, db: str, config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "candidate"
    args = ["optimize", "--db", db, "--config", str(config), "--out", str(out)]
    result = runner.invoke(
        impact_app(), [*args, "--max-fpr", "0.5", "--review-capacity", "3"], env=WIDE
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "items: 7 scored, 6 of them labelled" in text
    assert "chosen thresholds (score ≥ t acts; 1.0 = off): remove" in text
    assert "constraints: FPR ≤ 0.5, review ≤ 3 items/day" in text
    assert "frontier" in text and "← chosen" in text
    assert "assumptions:" in text and "scores are calibrated" in text
    assert "review cost per item: 1.00 EUR (settings [costs].review_cost_per_item)" in text
    assert f"candidate bundle: {out}" in text
    assert "candidate policy tests:" in text
    known = [*discover(), "ensemble"]
    bundle = load_bundle(out, known_signals=known)
    assert bundle.name == "thresholds"
    assert run_policy_tests(out, known_signals=known).ok


def test_optimize_json_file_and_stdout(runner, db: str, config: Path, tmp_path: Path) -> None:
    out, path = tmp_path / "candidate", tmp_path / "opt.json"
    args = ["optimize", "--db", db, "--config", str(config), "--out", str(out), "--json", str(path)]
    result = runner.invoke(impact_app(), [*args, "--harm-prevented", "label=0.5"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "chosen thresholds" in result.stdout  # --json FILE keeps the readable output
    data = json.loads(path.read_text())
    assert (data["kind"], data["version"]) == ("deepscreen.threshold_optimization", 1)
    thresholds = data["thresholds"]
    assert set(thresholds) == {"remove", "label", "review"}
    bundle = load_bundle(out, known_signals=[*discover(), "ensemble"])
    assert {a: bundle.params[f"{a}_min_score"] for a in thresholds} == thresholds
    assert data["candidate"]["tests"]["summary"]["fail"] == 0
    assert data["costs"]["currency"] == "EUR"
    assert any("a label prevents 50%" in a for a in data["assumptions"])
    assert [r["thresholds"] for r in data["frontier"] if r["chosen"]] == [thresholds]
    again = tmp_path / "again"
    args = ["optimize", "--db", db, "--config", str(config), "--out", str(again)]
    result = runner.invoke(
        impact_app(), [*args, "--harm-prevented", "label=0.5", "--format", "json"], env=WIDE
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)  # --format json: the same document on stdout
    assert printed["frontier"] == data["frontier"] and printed["chosen"] == data["chosen"]


def test_optimize_names_missing_views_and_what_supplies_them(
    runner, config: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'no-views.db'}"
    store = open_store(url)
    try:
        for n, score in enumerate((0.9, 0.7, 0.4, 0.2)):
            store.append(item_events(f"i{n}", score, n % 2 == 0, None))
    finally:
        store.close()
    args = ["optimize", "--db", url, "--config", str(config), "--out", str(tmp_path / "c")]
    result = runner.invoke(impact_app(), args, env=WIDE)
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert "1 input(s) missing" in message
    assert "none of the 4 scored labelled items has views recorded" in message
    assert "every threshold would be off" in message
    assert "deepscreen impact import views FILE" in message
    assert "chosen thresholds" not in message
    assert not (tmp_path / "c").exists()


def test_optimize_names_missing_labels(runner, config: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-labels.db'}"
    store = open_store(url)
    try:
        for n, score in enumerate((0.9, 0.4)):
            store.append(item_events(f"i{n}", score, None, 10))
    finally:
        store.close()
    args = ["optimize", "--db", url, "--config", str(config), "--out", str(tmp_path / "c")]
    result = runner.invoke(impact_app(), args, env=WIDE)
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "ground-truth labels: no scored labelled items (2 scored, 0 labelled of 2" in message
    assert "deepscreen impact import labels FILE" in message


def test_optimize_on_the_demo_chooses_and_names_a_missing_harm_setting(
    runner, demo_dir: Path, tmp_path: Path
) -> None:
    """With the demo's settings (harm per view and the ensemble included) the optimiser
    chooses; without a harm per view it says so (and where to set it) instead of answering
    "every threshold off"."""
    db = f"sqlite:///{demo_dir / 'deepscreen-demo.db'}"
    args = ["optimize", "--db", db, "--config", str(DEMO_TOML), "--out", str(tmp_path / "c")]
    result = runner.invoke(impact_app(), args, env=WIDE)
    assert result.exit_code == 0, result.output
    assert "chosen thresholds" in result.output and (tmp_path / "c" / "policy.yaml").exists()
    no_harm = tmp_path / "no-harm.toml"
    text = DEMO_TOML.read_text()
    no_harm.write_text(text.replace("[costs.harm_per_violating_view]\ndefault = 0.002\n", ""))
    assert "[costs.harm_per_violating_view]" not in no_harm.read_text()
    args = ["optimize", "--db", db, "--config", str(no_harm), "--out", str(tmp_path / "d")]
    result = runner.invoke(impact_app(), args, env=WIDE)
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert "harm_per_violating_view.default: no harm per violating view" in message
    assert "deepscreen costs init" in message
    assert "1 input(s) missing" in message and "views recorded" not in message  # it has views
    assert not (tmp_path / "d").exists()


def test_optimize_needs_the_ensemble(runner, db: str, tmp_path: Path) -> None:
    config = tmp_path / "no-ensemble.toml"
    config.write_text(CONFIG.replace("enabled = true", "enabled = false"))
    args = ["optimize", "--db", db, "--config", str(config), "--out", str(tmp_path / "c")]
    result = runner.invoke(impact_app(), args, env=WIDE)
    assert result.exit_code == 3
    assert "enable the ensemble" in result.output
    assert not (tmp_path / "c").exists()


def test_optimize_names_missing_costs(runner, db: str, tmp_path: Path) -> None:
    config = tmp_path / "no-costs.toml"
    config.write_text("[ensemble]\nenabled = true\n")
    args = ["optimize", "--db", db, "--config", str(config), "--out", str(tmp_path / "c")]
    result = runner.invoke(impact_app(), args, env=WIDE)
    assert result.exit_code == 1
    assert "wrongful-action cost for remove" in result.output
    assert "settings [costs].wrongful_action_cost.remove" in result.output
    assert not (tmp_path / "c").exists()


def test_optimize_refuses_a_bundle_without_threshold_params(
    runner, db: str, config: Path, tmp_path: Path
) -> None:
    default = Path(__file__).resolve().parents[2] / "policies" / "default"
    args = ["optimize", "--db", db, "--config", str(config), "--out", str(tmp_path / "c")]
    result = runner.invoke(impact_app(), [*args, "--policy", str(default)], env=WIDE)
    assert result.exit_code == 3
    assert "declares no threshold params" in result.output


def test_optimize_rejects_a_bad_share(runner, db: str, config: Path, tmp_path: Path) -> None:
    args = ["optimize", "--db", db, "--config", str(config), "--out", str(tmp_path / "c")]
    result = runner.invoke(impact_app(), [*args, "--harm-prevented", "label=2"], env=WIDE)
    assert result.exit_code == 2
    assert "--harm-prevented" in result.output


def test_help_explains_the_rule_and_assumptions(runner) -> None:
    result = runner.invoke(impact_app(), ["optimize", "--help"], env=WIDE)
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "(1 − p)·c_FP[a]" in text and "calibrated" in text
    assert "--max-fpr" in text and "--review-capacity" in text
