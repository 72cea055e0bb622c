"""What a head sees of an image (views) and when expensive detectors are skipped (cascade)."""

from __future__ import annotations

import numpy as np
import pytest

from deepscreen.core.signals import SignalResult
from deepscreen.signals.cascade import Cascade, settled_by
from deepscreen.signals.learned.views import Views


class Recorder:
    """A backbone stand-in: each input's embedding is (mean pixel, top-left pixel)."""

    dim = 2

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        self.calls.append(len(images))
        return np.asarray([[im.mean(), im[0, 0, 0]] for im in images], dtype=np.float32)


def test_global_view_is_the_whole_image_once() -> None:
    image = np.zeros((512, 512, 3), np.uint8)
    assert [v.shape for v in Views().inputs(image)] == [(512, 512, 3)]
    assert Views().feature_dim(512) == 512


def test_corner_views_are_full_resolution_corners_in_one_batched_call() -> None:
    image = np.zeros((512, 512, 3), np.uint8)
    image[:224, :224] = 10  # top-left
    image[:224, 288:] = 20  # top-right
    image[288:, :224] = 30  # bottom-left
    image[288:, 288:] = 40  # bottom-right
    views = Views("global+corners")
    inputs = views.inputs(image)
    assert [v.shape for v in inputs] == [(512, 512, 3)] + [(224, 224, 3)] * 4
    assert [int(v[0, 0, 0]) for v in inputs[1:]] == [10, 20, 30, 40]
    backbone = Recorder()
    features = views.embed(backbone, [image, image])
    assert backbone.calls == [10] and features.shape == (2, 4)
    corners = np.array([25.0, 25.0])  # the mean corner embedding, then L2-normalised
    np.testing.assert_allclose(features[0, 2:], corners / np.linalg.norm(corners), rtol=1e-6)


def test_views_refuse_images_smaller_than_the_crop_and_unknown_names() -> None:
    with pytest.raises(ValueError, match="smaller than the view crop"):
        Views("global+corners").inputs(np.zeros((100, 100, 3), np.uint8))
    with pytest.raises(ValueError, match="unknown views"):
        Views("tiles")  # type: ignore[arg-type]
    assert Views.from_dict(Views("global+corners").to_dict()) == Views("global+corners")


def scored(name: str, score: float, **evidence: object) -> SignalResult:
    return SignalResult.scored(name, "1", score, evidence)


def abstained(name: str) -> SignalResult:
    return SignalResult.abstain(name, "1", "no manifest")


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([scored("hashmatch", 1.0)], "hashmatch"),
        ([scored("hashmatch", 0.0)], None),  # an allow-bank match settles nothing
        ([abstained("c2pa"), scored("metadata", 1.0)], "metadata"),
        ([scored("watermark", 0.95)], "watermark"),
        ([scored("watermark", 0.6)], None),
        ([scored("c2pa", 0.0, origin="captured", binding_intact=True)], "c2pa"),
        ([scored("c2pa", 0.0, origin="algorithmic", binding_intact=True)], None),
        ([scored("c2pa", 0.0, origin="captured", binding_intact=False)], None),
        ([abstained("c2pa"), abstained("metadata"), abstained("watermark")], None),
        ([scored("vendor", 1.0)], None),  # statistical detectors never settle
    ],
)
def test_what_settles_an_item(results: list[SignalResult], expected: str | None) -> None:
    assert settled_by(results, 0.9) == expected


def test_cascade_skips_only_expensive_detectors_and_can_be_turned_off() -> None:
    settled = [scored("metadata", 1.0)]
    assert Cascade().skips("learned", settled) == "settled by metadata"
    assert Cascade().skips("watermark", settled) is None
    assert Cascade().skips("learned", [abstained("metadata")]) is None
    assert Cascade(enabled=False).skips("learned", settled) is None


def test_run_detectors_records_the_skip_as_an_abstention() -> None:
    from deepscreen.service.scan import run_detectors
    from deepscreen.signals.examples import encoded_image_item

    class Declares:
        name, version = "metadata", "1"
        media_kinds = frozenset({encoded_image_item(np.zeros((8, 8, 3), np.uint8), "PNG").kind})

        def detect(self, item: object) -> SignalResult:
            return scored("metadata", 1.0)

    class Expensive(Declares):
        name = "learned"

        def detect(self, item: object) -> SignalResult:
            raise AssertionError("must not run on a settled item")

    item = encoded_image_item(np.zeros((8, 8, 3), np.uint8), "PNG")
    results = run_detectors([Declares(), Expensive()], item, Cascade())  # type: ignore[list-item]
    assert results[1].abstained and results[1].abstain_reason == "settled by metadata"
    with pytest.raises(AssertionError):
        Expensive().detect(item)


def test_expensive_share_samples_by_item_id_deterministically() -> None:
    cascade = Cascade(expensive_share=0.25)
    reasons = [cascade.skips("learned", [], f"item-{i}") for i in range(2000)]
    sampled = sum(r is None for r in reasons)
    assert 400 < sampled < 600  # about a quarter
    assert reasons == [cascade.skips("learned", [], f"item-{i}") for i in range(2000)]
    assert {r for r in reasons if r} == {"not sampled (expensive_share 0.25)"}
    assert Cascade(expensive_share=0.25).skips("learned", [scored("hashmatch", 1.0)], "x") == (
        "settled by hashmatch"
    )
    assert Cascade(expensive_share=0.0).skips("watermark", [], "x") is None
