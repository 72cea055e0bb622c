"""A policy that errors on an item answers ``/v1/scan`` with its on_error decision, not a 500."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from deepscreen.api.testing import api_harness
from deepscreen.core.access import Role
from deepscreen.settings import Settings
from deepscreen.signals.examples import video_item

POLICY = """
derived:
  wide: "item.width / item.height > 1"
rules:
  - id: label_wide
    when: derived.wide
    action: {type: label, label: wide}
default: {type: allow}
on_error: {type: review, queue: policy_errors}
"""


def test_a_video_without_height_is_decided_on_error(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY)
    settings = Settings(db_url="memory://", policy_dir=str(tmp_path))
    harness = api_harness(settings=settings, raise_server_exceptions=False)
    try:
        clip = video_item(Image.fromarray(np.full((64, 96, 3), 90, np.uint8))).data
        response = harness.client.post(
            "/v1/scan",
            files={"media": ("clip.mp4", clip, "video/mp4")},
            headers=harness.auth(Role.INGEST),
        )
        assert response.status_code == 200, response.text
        decision = response.json()["decision"]
        assert decision["action"] == "review" and decision["rule_id"] == "derived.wide"
        assert "ZeroDivisionError" in decision["errors"][0]
    finally:
        harness.close()
