"""Toy models for tests and plug-in checks: a tiny ONNX image encoder, random-weight heads on a
small spectral backbone, and a face finder that "finds" the middle of every image."""

from __future__ import annotations

from typing import Any


def write_tiny_onnx_embedding(
    path: Any, *, input_size: int = 32, dim: int = 8, fixed_batch: bool = False, seed: int = 0
) -> None:
    """Write a tiny image-embedding ONNX model for tests (needs the ``onnx`` package).

    Conv 3×3 stride 2 (3 → ``dim`` channels, random weights) → ReLU → global average pool →
    flatten: input ``pixel_values`` (N, 3, S, S), output ``embedding`` (N, ``dim``). With
    ``fixed_batch`` the batch dimension is 1, as some exported models have.
    """
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    weights = rng.normal(0, 0.5, (dim, 3, 3, 3)).astype(np.float32)
    bias = rng.normal(0, 0.1, (dim,)).astype(np.float32)
    batch: int | str = 1 if fixed_batch else "batch"
    graph = helper.make_graph(
        [
            helper.make_node(
                "Conv", ["pixel_values", "w", "b"], ["c"], strides=[2, 2], pads=[1] * 4
            ),
            helper.make_node("Relu", ["c"], ["r"]),
            helper.make_node("GlobalAveragePool", ["r"], ["g"]),
            helper.make_node("Flatten", ["g"], ["embedding"], axis=1),
        ],
        "tiny_embedding",
        [
            helper.make_tensor_value_info(
                "pixel_values", TensorProto.FLOAT, [batch, 3, input_size, input_size]
            )
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [batch, dim])],
        initializer=[numpy_helper.from_array(weights, "w"), numpy_helper.from_array(bias, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def toy_head(seed: int = 0) -> Any:
    """A ``learned.head.Head`` with random weights on a small spectral backbone (32-px crop,
    8 bins; images normalised to 64 px, refused under 48): for conformance and plumbing tests,
    meaningless as a detector."""
    import numpy as np

    from deepscreen.signals.learned.head import Calibration, Head, HeadThresholds
    from deepscreen.signals.learned.normalise import Normalisation
    from deepscreen.signals.models.backbones import SpectralBackbone

    backbone = SpectralBackbone(crop=32, bins=8)
    rng = np.random.default_rng(seed)
    return Head(
        backbone_kind=backbone.kind,
        backbone_config=backbone.config(),
        backbone_fingerprint=backbone.fingerprint,
        normalisation=Normalisation(side=64, min_side=48, jpeg_quality=None),
        mean=np.full(backbone.dim, 0.5),
        scale=np.full(backbone.dim, 0.25),
        coef=rng.normal(0, 0.3, backbone.dim),
        intercept=0.0,
        calibration=Calibration("sigmoid", a=-1.0, b=0.0),
        thresholds=HeadThresholds(likely_ai=0.7, likely_real=0.3, target_fpr=0.01, target_fnr=0.05),
        training={"note": "toy head with random weights, for tests"},
    )


class CentreFaceFinder:
    """A stand-in face finder: one "face" in the middle half of every image or frame. For
    conformance and plumbing tests of the ``faces`` detector without the BlazeFace model."""

    def find(self, image: Any, *, min_confidence: float = 0.5, max_faces: int = 8) -> list[Any]:
        from deepscreen.signals.models.blazeface import Face

        width, height = image.size
        box = (width / 4, height / 4, width * 3 / 4, height * 3 / 4)
        return [Face(box, 0.9)][:max_faces] if min_confidence <= 0.9 else []


def toy_face_head(seed: int = 0) -> Any:
    """``toy_head`` as a face head (default ``FaceCrop``): scores face crops, meaninglessly."""
    import dataclasses

    from deepscreen.signals.learned.face_crop import FaceCrop

    return dataclasses.replace(toy_head(seed), faces=FaceCrop())
