"""The pixel head on video: sampled frames scored, a top-k mean, the driving frames named."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from deepscreen.core.media import MediaKind
from deepscreen.media import load_media
from deepscreen.signals.learned.detector import LearnedDetector, top_k_mean
from deepscreen.signals.testing import toy_head


def mp4(seconds: int = 6, fps: int = 4, size: int = 96) -> bytes:
    """A clip whose content changes every second (seeded noise, then flat grey)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(seconds * fps):
            second = i // fps
            rng = np.random.default_rng(second)
            pixels = (
                rng.integers(0, 256, (size, size, 3), np.uint8)
                if second % 2
                else np.full((size, size, 3), 90 + 20 * second, np.uint8)
            )
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, "rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buffer.getvalue()


def test_top_k_mean_averages_the_highest_scores_and_names_their_frames() -> None:
    scored = [(0.0, 0.1), (1.0, 0.9), (2.0, 0.5), (3.0, 0.8), (4.0, 0.9)]
    score, frames = top_k_mean(scored, 3)
    assert score == pytest.approx((0.9 + 0.9 + 0.8) / 3)
    assert frames == [1.0, 3.0, 4.0]
    assert top_k_mean(scored[:1], 3) == (0.1, [0.0])


def test_a_video_is_scored_from_a_bounded_sample_of_frames() -> None:
    detector = LearnedDetector(toy_head(), max_video_frames=4, video_every_s=1.0, video_top_k=2)
    detector.load()
    item = load_media(mp4(), source="clip.mp4")
    assert item.kind is MediaKind.VIDEO
    result = detector.detect(item)
    assert not result.abstained
    frames = result.evidence["frames"]
    assert [f["t"] for f in frames] == [0.0, 1.0, 2.0, 3.0]  # capped at 4 frames, 1 s apart
    expected, driving = top_k_mean([(f["t"], f["score"]) for f in frames], 2)
    assert result.score == pytest.approx(expected, abs=1e-6)
    assert result.evidence["driving_frames_t"] == driving
    assert result.evidence["aggregate"] == "mean of the top 2 of 4 frame scores"
    assert "video" in result.evidence["summary"]


def test_an_unreadable_video_abstains() -> None:
    detector = LearnedDetector(toy_head())
    detector.load()
    broken = mp4()[:400]
    item = load_media(broken, source="cut.mp4")
    result = detector.detect(item)
    assert result.abstained and "video unreadable" in (result.abstain_reason or "")
