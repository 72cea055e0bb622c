"""``deepscreen train`` / ``eval`` end to end on a generated (synthetic, seeded) labelled set,
then the trained head scoring through ``scan`` and the ensemble."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepscreen.cli.app import app
from deepscreen.demo.labelled_set import write_labelled_set


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("labelled")
    write_labelled_set(root, per_source=8, seed=1)
    return root


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("held_out")
    write_labelled_set(root, per_source=5, seed=2)
    return root


@pytest.fixture(scope="module")
def trained(labelled: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    from typer.testing import CliRunner

    out = tmp_path_factory.mktemp("head")
    head, report = out / "head.json", out / "report.json"
    args = ["train", str(labelled), "--out", str(head), "--side", "256", "--n-boot", "200"]
    result = CliRunner().invoke(app, [*args, "--json", str(report)])
    assert result.exit_code == 0, result.output
    return head, report, result.stdout


def test_train_writes_a_json_head_and_an_honest_report(trained: tuple[Path, Path, str]) -> None:
    head_path, report_path, stdout = trained
    head = json.loads(head_path.read_text())
    assert head["format"] == "deepscreen.head/1" and head["backbone"]["kind"] == "spectral"
    assert head["calibration"]["method"] == "sigmoid"
    assert head["normalisation"] == {"side": 256, "min_side": 64, "jpeg_quality": 90}
    thresholds = head["thresholds"]
    assert 0 <= thresholds["likely_real"] <= thresholds["likely_ai"] <= 1
    assert "grouped by source" in head["training"]["cross_validation"]
    report = json.loads(report_path.read_text())
    metrics = report["evaluation"]["metrics"]
    assert set(metrics) == {"auc", "average_precision", "tpr_at_1pct_fpr", "tpr_at_5pct_fpr", "ece"}
    assert metrics["auc"]["low"] <= metrics["auc"]["value"] <= metrics["auc"]["high"]
    assert metrics["auc"]["value"] > 0.8  # the synthetic set is learnable
    sources = {row["source"] for row in report["evaluation"]["per_source"]}
    assert sources == {
        "camera_a",
        "camera_b",
        "camera_c",
        "gen_nearest",
        "gen_zeros",
        "gen_bilinear",
    }
    assert report["evaluation"]["reliability"] and report["evaluation"]["roc"]["fpr"]
    assert report["confounds"] and not any(c["warning"] for c in report["confounds"])
    for text in ("ROC AUC", "TPR at 1% FPR", "per source", "likely AI ≥", "wrote head"):
        assert text in stdout


def test_eval_scores_a_held_out_set_with_the_head(
    runner, trained: tuple[Path, Path, str], held_out: Path, tmp_path: Path
) -> None:
    head, _, _ = trained
    out = tmp_path / "eval.json"
    args = ["eval", str(held_out), "--head", str(head), "--n-boot", "200", "--json", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["items"] == 30 and report["evaluation"]["metrics"]["auc"]["value"] > 0.8
    threshold = json.loads(head.read_text())["thresholds"]["likely_ai"]
    assert report["evaluation"]["threshold"] == pytest.approx(threshold)
    assert "held-out set" in result.stdout


def test_eval_without_head_cross_validates(runner, labelled: Path) -> None:
    result = runner.invoke(app, ["eval", str(labelled), "--side", "256", "--n-boot", "200"])
    assert result.exit_code == 0, result.output
    assert "grouped by source" in result.stdout and "ROC AUC" in result.stdout


def test_train_warns_when_image_width_alone_separates_the_classes(runner, tmp_path: Path) -> None:
    write_labelled_set(tmp_path / "data", per_source=4, seed=3, confound=True)
    args = ["train", str(tmp_path / "data"), "--out", str(tmp_path / "h.json"), "--side", "256"]
    result = runner.invoke(app, [*args, "--n-boot", "200"])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stdout and "width" in result.stdout
    head = json.loads((tmp_path / "h.json").read_text())
    assert any("width" in w for w in head["training"]["confound_warnings"])


def test_train_reports_unreadable_files_and_goes_on(runner, tmp_path: Path) -> None:
    write_labelled_set(tmp_path / "data", per_source=3, seed=4)
    (tmp_path / "data" / "ai" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    args = ["train", str(tmp_path / "data"), "--out", str(tmp_path / "h.json"), "--side", "256"]
    result = runner.invoke(app, [*args, "--n-boot", "200"])
    assert result.exit_code == 0, result.output
    assert "1 file(s) skipped" in result.stdout and "broken.png" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backbone", "onnx"], "needs a model config"),
        (["--target-fpr", "0.9"], "target_fpr must be in (0, 0.5]"),
        (["--C", "0"], "C must be positive"),
    ],
)
def test_train_refuses_bad_options_with_a_clear_message(
    runner, labelled: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["train", str(labelled), "--out", str(tmp_path / "h.json"), *args])
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "h.json").exists()


def test_train_refuses_a_folder_without_class_folders(runner, tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    result = runner.invoke(app, ["train", str(tmp_path)])
    assert result.exit_code == 1 and "expected class folders" in result.output


def test_onnx_backbone_trains_end_to_end(runner, labelled: Path, tmp_path: Path) -> None:
    from deepscreen.signals.testing import write_tiny_onnx_embedding

    write_tiny_onnx_embedding(tmp_path / "tiny.onnx", input_size=32, dim=8)
    (tmp_path / "tiny.toml").write_text('model = "tiny.onnx"\n[preprocessing]\ninput_size = 32\n')
    head = tmp_path / "head.json"
    args = ["train", str(labelled), "--backbone", "onnx", "--model", str(tmp_path / "tiny.toml")]
    result = runner.invoke(app, [*args, "--out", str(head), "--side", "128", "--n-boot", "200"])
    assert result.exit_code == 0, result.output
    data = json.loads(head.read_text())
    assert data["backbone"]["kind"] == "onnx" and len(data["logistic"]["coef"]) == 8
    assert data["training"]["model_config"] == str((tmp_path / "tiny.toml").resolve())


def write_config(path: Path, head: Path, extra: str = "") -> Path:
    detectors = '["c2pa", "hashmatch", "metadata", "watermark", "learned"]'
    path.write_text(f'detectors = {detectors}\n[learned]\nhead = "{head}"\n{extra}')
    return path


def test_scan_uses_the_trained_head_and_records_its_version(
    runner, trained: tuple[Path, Path, str], held_out: Path, tmp_path: Path
) -> None:
    head, _, _ = trained
    config = write_config(tmp_path / "deepscreen.toml", head, "[ensemble]\nenabled = true\n")
    image = next((held_out / "ai" / "gen_zeros").glob("*.jpg"))
    args = ["scan", str(image), "--config", str(config), "--db", "memory://"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    learned = record["signals"]["learned"]
    digest = json.loads(head.read_text())
    assert learned["version"].startswith("1+") and learned["score"] is not None
    assert learned["evidence"]["verdict"] in {"likely_ai", "inconclusive", "likely_real"}
    ensemble = record["signals"]["ensemble"]
    assert ensemble["evidence"]["basis"] == "vote"
    assert ensemble["score"] == pytest.approx(learned["score"])
    assert digest["format"] == "deepscreen.head/1"


def test_train_stack_fits_on_the_configured_detectors(
    runner, trained: tuple[Path, Path, str], labelled: Path, tmp_path: Path
) -> None:
    head, _, _ = trained
    config = write_config(tmp_path / "deepscreen.toml", head)
    stack = tmp_path / "stack.json"
    args = ["train", str(labelled), "--stack", "--out", str(stack), "--config", str(config)]
    result = runner.invoke(app, [*args, "--n-boot", "200"])
    assert result.exit_code == 0, result.output
    data = json.loads(stack.read_text())
    assert data["format"] == "deepscreen.stack/1" and data["detectors"] == ["learned"]
    config.write_text(
        config.read_text() + f'[ensemble]\nenabled = true\nmethod = "stacked"\nstack = "{stack}"\n'
    )
    image = next((labelled / "real" / "camera_a").glob("*.jpg"))
    scan = runner.invoke(app, ["scan", str(image), "--config", str(config), "--db", "memory://"])
    assert scan.exit_code == 0, scan.output
    assert json.loads(scan.stdout)["signals"]["ensemble"]["evidence"]["basis"] == "stacked"


def test_train_stack_without_statistical_detectors_is_a_config_error(
    runner, labelled: Path, tmp_path: Path
) -> None:
    config = tmp_path / "deepscreen.toml"
    config.write_text('detectors = ["c2pa", "hashmatch", "metadata", "watermark"]\n')
    args = ["train", str(labelled), "--stack", "--config", str(config)]
    result = runner.invoke(app, args)
    assert result.exit_code == 3 and "statistical detectors" in result.output


def test_a_policy_rule_can_route_likely_ai_to_review(
    runner, trained: tuple[Path, Path, str], held_out: Path, tmp_path: Path
) -> None:
    import shutil

    from deepscreen.bootstrap import default_policy_dir

    policy = tmp_path / "policy"
    shutil.copytree(default_policy_dir(), policy)
    (policy / "policy_test.yaml").unlink()
    text = (policy / "policy.yaml").read_text()
    rule = (
        "rules:\n"
        "  - id: review_likely_ai\n"
        "    description: the learned head says likely AI\n"
        '    when: "!signals.learned.abstained'
        " && signals.learned.evidence.verdict == 'likely_ai'\"\n"
        "    action: {type: review, queue: synthetic_media}\n"
    )
    (policy / "policy.yaml").write_text(text.replace("rules:\n", rule, 1))
    head, _, _ = trained
    config = write_config(tmp_path / "deepscreen.toml", head)
    args = ["scan", str(held_out), "--config", str(config), "--db", "memory://"]
    result = runner.invoke(app, [*args, "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    flagged = [r for r in records if r["rule"] == "review_likely_ai"]
    assert flagged and all(r["action"] == "review" for r in flagged)
    assert all(r["signals"]["learned"]["evidence"]["verdict"] == "likely_ai" for r in flagged)
    ai = sum("/ai/" in r["source"] for r in flagged)
    assert ai >= len(flagged) / 2  # most of what the head flags is AI on this set
