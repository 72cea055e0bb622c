"""Videos in the loop: frames sampled with PyAV and hashed; a transcoded re-upload of a
confirmed deepfake video is removed, and a video of a banked picture matches it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from importlib.resources import files

import av
import numpy as np
from PIL import Image

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.decisions import Action
from deepscreen.core.events import ReviewCompleted, Verdict
from deepscreen.core.media import MediaKind
from deepscreen.service import scan_bytes
from deepscreen.service.review import record_review
from deepscreen.settings import load_settings

T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


def photo() -> Image.Image:
    with Image.open(files("skimage.data") / "astronaut.png") as im:
        return im.convert("RGB")


def video(
    fmt: str, codec: str, size: tuple[int, int], seconds: int = 5, fps: int = 5, pan: int = 1
) -> bytes:
    """A slow pan (``pan`` px a frame) over the photo, encoded with FFmpeg through PyAV."""
    source = photo()
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(seconds * fps):
            o = i * pan
            frame = source.crop((o, o, 480 + o, 480 + o)).resize(size)
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame), "rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buffer.getvalue()


def services():
    return build(load_settings(None, db_url="memory://"), clock=ManualClock(T0))


def confirm(svc, outcome):
    return record_review(
        svc,
        ReviewCompleted(
            item_id=outcome.item_id,
            occurred_at=T0 + timedelta(hours=1),
            verdict=Verdict.VIOLATING,
            reviewer="reviewer-bob",
            label="deepfake",
            decision_id=outcome.decision.decision_id,
        ),
    )


def hashmatch(outcome):
    return next(s for s in outcome.signals if s.detector == "hashmatch")


def test_transcoded_reupload_of_confirmed_deepfake_video_is_removed():
    svc = services()
    original = scan_bytes(svc, video("mp4", "libx264", (480, 480)), source="clip.mp4")
    assert original.decision.action is Action.ALLOW
    assert len(hashmatch(original).evidence["frames"]) == 5  # one frame a second

    banked = confirm(svc, original).banked
    assert len(banked) >= 3 and all(e.metadata.get("frame_time_s") for e in banked[1:])

    copy = scan_bytes(svc, video("webm", "libvpx-vp9", (320, 320)), source="copy.webm")
    assert copy.decision.action is Action.REMOVE, hashmatch(copy)
    evidence = hashmatch(copy).evidence
    assert evidence["bank"] == "confirmed_deepfakes"
    assert evidence["banks"]["confirmed_deepfakes"]["fraction"] >= 0.5
    assert evidence["summary"].startswith("video: ")


def test_video_of_a_banked_picture_matches():
    svc = services()
    buffer = io.BytesIO()
    photo().crop((0, 0, 480, 480)).save(buffer, "JPEG", quality=90)
    confirm(svc, scan_bytes(svc, buffer.getvalue(), source="still.jpg"))
    still_clip = video("mp4", "libx264", (360, 360), seconds=3, pan=0)  # a slideshow of it
    clip = scan_bytes(svc, still_clip, source="clip.mp4")
    assert clip.decision.action is Action.REMOVE


def test_unreadable_video_abstains_and_is_recorded():
    svc = services()
    broken = video("mp4", "libx264", (320, 320))[:2000]  # ftyp intact, the rest cut away
    outcome = scan_bytes(svc, broken, source="cut.mp4")
    signal = hashmatch(outcome)
    assert signal.abstained and signal.abstain_reason.startswith("video unreadable")
    assert outcome.decision.action is Action.ALLOW
    assert svc.store.latest_decision(outcome.item_id) is not None
    assert MediaKind.VIDEO.value == svc.store.for_item(outcome.item_id)[0].kind.value
