"""The default AI-image detector from the command line: with the CLIP encoder installed, a
metadata-stripped AI image goes to review with no configuration; without it, the detector
abstains and `scan` says once how to fix it; the head's training script reproduces a head
byte for byte (on a tiny generated set and model: tests never download)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deepscreen.cli.app import app

REPO = Path(__file__).resolve().parents[2]
POOL = REPO.parent / "shared" / "training" / "ai-vs-real"
# Metadata-stripped files of the training pool (so the head has seen them: this checks the
# default pipeline end to end, not the head's quality, which docs/default-detector.md measures
# on held-out families).
AI_IMAGES = (
    "ai/flux/comfyui_examples__flux_dev_example.jpg",
    "ai/gpt4o/gpt4o_cases__case001_example_proposal_scene_q_realistic.jpg",
)
REAL_IMAGES = ("real/kodak/kodak__kodim23.jpg",)

needs_pool = pytest.mark.skipif(
    not POOL.is_dir() and not os.environ.get("CI"), reason=f"training pool not at {POOL}"
)


def scan_json(runner, paths: list[Path], env: dict[str, str]) -> tuple[list[dict], str]:
    result = runner.invoke(app, ["scan", *map(str, paths), "--db", "memory://"], env=env)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return lines, result.stderr


@needs_pool
def test_a_stripped_ai_image_goes_to_review_with_no_configuration(
    runner, installed_models_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no deepscreen.toml: the shipped defaults
    env = {"DEEPSCREEN_MODELS_DIR": str(installed_models_dir)}
    records, stderr = scan_json(runner, [POOL / p for p in AI_IMAGES + REAL_IMAGES], env)
    assert "warning" not in stderr
    by_name = {Path(r["source"]).name: r for r in records}
    for relative in AI_IMAGES:
        record = by_name[Path(relative).name]
        assert (record["action"], record["rule"]) == ("review", "review_likely_ai_pixels")
        assert record["action_params"] == {"queue": "synthetic_media"}
        pixel = record["signals"]["learned"]
        assert not pixel["abstained"] and pixel["evidence"]["verdict"] == "likely_ai"
        assert pixel["evidence"]["head_id"] == "ai-image-clip-v1"
        assert "statistical estimate" in pixel["evidence"]["note"]
        assert all(record["signals"][d]["abstained"] for d in ("c2pa", "metadata"))
    for relative in REAL_IMAGES:
        record = by_name[Path(relative).name]
        assert record["action"] == "allow"
        assert record["signals"]["learned"]["score"] < 0.5


def test_without_the_encoder_scan_says_once_how_to_install_it(
    runner, tmp_path: Path, monkeypatch
) -> None:
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    for i in range(2):
        Image.fromarray(rng.integers(0, 255, (128, 128, 3), np.uint8)).save(tmp_path / f"{i}.png")
    env = {"DEEPSCREEN_MODELS_DIR": str(tmp_path / "empty-cache")}
    records, stderr = scan_json(runner, [tmp_path / "0.png", tmp_path / "1.png"], env)
    assert stderr.count("deepscreen models fetch clip-vit-b16") == 1
    assert len(records) == 2
    for record in records:
        pixel = record["signals"]["learned"]
        assert pixel["abstained"] and "deepscreen models fetch clip-vit-b16" in pixel["reason"]
        assert record["action"] == "allow"


def test_a_settled_item_skips_the_pixel_detector(runner, tmp_path: Path, monkeypatch) -> None:
    from PIL import Image, PngImagePlugin

    monkeypatch.chdir(tmp_path)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1")
    Image.new("RGB", (96, 96), (200, 10, 10)).save(tmp_path / "ai.png", pnginfo=info)
    records, _ = scan_json(runner, [tmp_path / "ai.png"], {})
    pixel = records[0]["signals"]["learned"]
    assert pixel["abstained"] and pixel["reason"] == "settled by metadata"
    assert records[0]["rule"] == "label_declared_ai"


def test_an_embedding_does_not_depend_on_what_else_is_embedded(installed_models_dir: Path) -> None:
    from deepscreen.signals.models.onnx_backbone import OnnxBackbone, OnnxModelSpec

    spec = OnnxModelSpec.from_toml(installed_models_dir / "clip-vit-b16" / "model.toml")
    backbone = OnnxBackbone(spec)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (256, 256, 3), np.uint8) for _ in range(4)]
    together = backbone.embed(images)
    alone = np.concatenate([backbone.embed([image]) for image in images])
    assert np.array_equal(together, alone)


def test_the_training_script_reproduces_a_head_byte_for_byte(tmp_path: Path) -> None:
    from deepscreen.demo.labelled_set import write_labelled_set
    from deepscreen.signals.testing import write_tiny_onnx_embedding

    write_labelled_set(tmp_path / "data", per_source=4, seed=5)
    write_tiny_onnx_embedding(tmp_path / "tiny.onnx", input_size=32, dim=8)
    (tmp_path / "tiny.toml").write_text('model = "tiny.onnx"\n[preprocessing]\ninput_size = 32\n')
    groups = tmp_path / "groups.csv"
    groups.write_text(
        "source,group\ngen_nearest,family_a\ngen_zeros,family_a\ngen_bilinear,family_b\n"
        "camera_a,camera_a\ncamera_b,camera_b\ncamera_c,camera_c\n"
    )
    env = {
        **os.environ,
        "DEEPSCREEN_HEAD_MODEL": str(tmp_path / "tiny.toml"),
        "DEEPSCREEN_HEAD_GROUPS": str(groups),
        "DEEPSCREEN_BIN": str(Path(sys.executable).parent),
    }
    outputs = []
    for run in ("one", "two"):
        out = tmp_path / run / "head.json"
        out.parent.mkdir()
        done = subprocess.run(
            [str(REPO / "scripts" / "train-default-head"), str(tmp_path / "data"), str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
        outputs.append(out.read_bytes())
        report = json.loads((tmp_path / run / "head.eval.json").read_text())
        assert {r["family"] for r in report["leave_one_family_out"]} == {"family_a", "family_b"}
    assert outputs[0] == outputs[1]
    head = json.loads(outputs[0])
    assert head["views"] == {"name": "global+corners", "crop": 224}
    assert head["training"]["augmentation"]["copies"] == 1


def clip_of(path: Path, seconds: int = 4, fps: int = 4) -> bytes:
    """A slow zoom into ``path`` encoded as H.264 MP4: frames of one picture."""
    import io

    import av
    from PIL import Image

    with Image.open(path) as image:
        picture = image.convert("RGB")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width = stream.height = 448
        stream.pix_fmt = "yuv420p"
        for i in range(seconds * fps):
            inset = 2 * i
            frame = picture.crop((inset, inset, 512 - inset, 512 - inset)).resize((448, 448))
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame), "rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buffer.getvalue()


@needs_pool
def test_video_frames_of_an_ai_image_go_to_review(
    runner, installed_models_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ai.mp4").write_bytes(clip_of(POOL / AI_IMAGES[0]))
    (tmp_path / "real.mp4").write_bytes(clip_of(POOL / REAL_IMAGES[0]))
    env = {"DEEPSCREEN_MODELS_DIR": str(installed_models_dir)}
    records, _ = scan_json(runner, [tmp_path / "ai.mp4", tmp_path / "real.mp4"], env)
    by_name = {Path(r["source"]).name: r for r in records}
    ai = by_name["ai.mp4"]["signals"]["learned"]
    assert ai["evidence"]["verdict"] == "likely_ai" and len(ai["evidence"]["frames"]) == 2
    assert by_name["ai.mp4"]["rule"] == "review_likely_ai_pixels"
    assert by_name["real.mp4"]["action"] == "allow"
