"""A policy that errors on some items sends them to ``on_error`` and the scan goes on; a
pathological bundle is refused with exit 3 and a message, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from deepscreen.cli.app import app
from deepscreen.signals.examples import video_item

RATIO_POLICY = """
derived:
  wide: "item.width / item.height > 1"
rules:
  - id: label_wide
    when: derived.wide
    action: {type: label, label: wide}
default: {type: allow}
on_error: {type: review, queue: policy_errors}
"""


def test_a_video_without_height_goes_to_on_error_and_the_scan_goes_on(
    runner, tmp_path: Path
) -> None:
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "p.yaml").write_text(RATIO_POLICY)
    media = tmp_path / "media"
    media.mkdir()
    still = Image.fromarray(np.full((64, 200, 3), 120, np.uint8))  # 200 / 64 = 3 in CEL ints
    (media / "a_clip.mp4").write_bytes(video_item(still).data)  # first: no width or height
    still.save(media / "b_wide.png")
    result = runner.invoke(
        app,
        ["scan", str(media), "--db", "memory://", "--policy", str(policy), "--format", "jsonl"],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    by_source = {Path(r["source"]).name: r for r in rows}
    clip = by_source["a_clip.mp4"]
    assert clip["action"] == "review" and clip["rule"] == "derived.wide"
    assert "ZeroDivisionError" in clip["errors"][0]
    assert by_source["b_wide.png"]["action"] == "label"


def test_a_pathological_bundle_exits_3_with_a_message(runner, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("[" * 100_000)
    result = runner.invoke(app, ["policy", "test", str(tmp_path)])
    assert result.exit_code == 3
    assert "nested too deeply" in result.output and "Traceback" not in result.output
