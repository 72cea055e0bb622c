"""Find faces with MediaPipe's BlazeFace full-range model, run by LiteRT (``ai-edge-litert``),
the model file pinned from a PyPI wheel (docs/internals/signals.md, docs/faces.md)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

MIN_SUPPRESSION_IOU = 0.3


@dataclass(frozen=True, slots=True)
class Geometry:
    """A BlazeFace variant's input side and SSD layers as ``(stride, anchors per cell)``."""

    input_size: int
    layers: tuple[tuple[int, int], ...]

    @property
    def anchor_count(self) -> int:
        return sum((self.input_size // s) ** 2 * n for s, n in self.layers)


FULL_RANGE = Geometry(192, ((4, 1),))


@dataclass(frozen=True, slots=True)
class Face:
    """One face: its box in image pixels (``left, top, right, bottom``) and the model's
    confidence, in [0, 1]."""

    box: tuple[float, float, float, float]
    confidence: float

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    def to_dict(self) -> dict[str, Any]:
        return {"box": [round(v, 1) for v in self.box], "confidence": round(self.confidence, 4)}


@functools.cache
def ssd_anchors(geometry: Geometry) -> np.ndarray:
    """``(n, 2)`` anchor centres ``(x, y)`` in [0, 1], in the model's output order: layer by
    layer, row by row, cell by cell."""
    centres = []
    for stride, per_cell in geometry.layers:
        cells = geometry.input_size // stride
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = np.stack([(xs.ravel() + 0.5) / cells, (ys.ravel() + 0.5) / cells], axis=1)
        centres.append(np.repeat(grid, per_cell, axis=0))
    anchors = np.concatenate(centres).astype(np.float64)
    anchors.flags.writeable = False
    return anchors


def decode(
    regressors: np.ndarray, logits: np.ndarray, geometry: Geometry, min_confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes ``(n, 4)`` as ``left, top, right, bottom`` relative to the square input, and
    their confidences, for the anchors at or over ``min_confidence``. Per anchor, the first
    four regressors are the box centre's offset from the anchor and the box size, in input
    pixels."""
    anchors = ssd_anchors(geometry)
    raw = np.asarray(regressors, dtype=np.float64).reshape(len(anchors), -1)
    scores = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(logits, np.float64).ravel(), -100, 100)))
    keep = scores >= min_confidence
    centre = anchors[keep] + raw[keep, 0:2] / geometry.input_size
    half = raw[keep, 2:4] / geometry.input_size / 2
    return np.concatenate([centre - half, centre + half], axis=1), scores[keep]


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one ``(4,)`` box with each of ``(n, 4)`` boxes."""
    left_top = np.maximum(box[:2], boxes[:, :2])
    right_bottom = np.minimum(box[2:], boxes[:, 2:])
    overlap = np.prod(np.clip(right_bottom - left_top, 0, None), axis=1)
    area = np.prod(np.clip(box[2:] - box[:2], 0, None))
    areas = np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0, None), axis=1)
    union = area + areas - overlap
    return np.where(union > 0, overlap / np.where(union > 0, union, 1), 0.0)


def suppress(boxes: np.ndarray, scores: np.ndarray, max_faces: int) -> list[int]:
    """Indices kept by greedy non-maximum suppression, most confident first (ties: the lower
    anchor index), at most ``max_faces``."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    kept: list[int] = []
    while order and len(kept) < max_faces:
        best, order = order[0], order[1:]
        kept.append(best)
        if order:
            overlaps = iou(boxes[best], boxes[order])
            order = [i for i, o in zip(order, overlaps, strict=True) if o <= MIN_SUPPRESSION_IOU]
    return kept


def letterbox(image: Image.Image, side: int) -> tuple[np.ndarray, tuple[float, float, float]]:
    """The ``(1, side, side, 3)`` float32 input in [-1, 1], and ``(scale, pad_x, pad_y)``: an
    input pixel ``p`` is image pixel ``(p - pad) / scale``."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    width, height = rgb.size
    scale = side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
    canvas = Image.new("RGB", (side, side))
    pad_x, pad_y = (side - size[0]) // 2, (side - size[1]) // 2
    canvas.paste(resized, (pad_x, pad_y))
    tensor = np.asarray(canvas, dtype=np.float32)[None] / 127.5 - 1.0
    return tensor, (scale, float(pad_x), float(pad_y))


def to_image_boxes(
    boxes: np.ndarray, side: int, placement: tuple[float, float, float], size: tuple[int, int]
) -> np.ndarray:
    """Input-relative boxes → image pixel boxes, clipped to the image."""
    scale, pad_x, pad_y = placement
    pixels = boxes * side - np.array([pad_x, pad_y, pad_x, pad_y])
    out = pixels / scale
    width, height = size
    return np.asarray(np.clip(out, 0, np.array([width, height, width, height], np.float64)))


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """File descriptor 2 pointed at /dev/null for the block: native code's chatter, not
    Python's (exceptions still carry their messages)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class BlazeFace:
    """The face finder: ``find(image)`` returns faces, most confident first.

    One LiteRT interpreter, used under a lock (an interpreter is not thread-safe; one call costs
    a few milliseconds on one core, so threads waiting on it lose little). Raises ``ValueError``
    for a model file that is not the BlazeFace variant ``geometry`` describes.
    """

    def __init__(self, model: Path, geometry: Geometry, *, threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        try:
            with _native_stderr_silenced():  # LiteRT prints "INFO: Created … XNNPACK delegate"
                self._interpreter = Interpreter(model_path=str(model), num_threads=threads)
                self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ValueError(f"cannot load the face model {model}: {exc}") from exc
        side, count = geometry.input_size, geometry.anchor_count
        inputs = self._interpreter.get_input_details()
        outputs = sorted(self._interpreter.get_output_details(), key=lambda d: d["shape"][-1])
        shapes = [tuple(o["shape"]) for o in outputs]
        if len(inputs) != 1 or tuple(inputs[0]["shape"]) != (1, side, side, 3):
            raise ValueError(
                f"{model}: input {inputs[0]['shape']}, expected (1, {side}, {side}, 3)"
            )
        if shapes != [(1, count, 1), (1, count, 16)]:
            raise ValueError(f"{model}: outputs {shapes}, expected {count} anchors × (1, 16)")
        self.geometry = geometry
        self._input = inputs[0]["index"]
        self._logits, self._regressors = (o["index"] for o in outputs)
        self._lock = threading.Lock()

    def find(
        self, image: Image.Image, *, min_confidence: float = 0.5, max_faces: int = 8
    ) -> list[Face]:
        side = self.geometry.input_size
        tensor, placement = letterbox(image, side)
        with self._lock:
            self._interpreter.set_tensor(self._input, tensor)
            self._interpreter.invoke()
            regressors = self._interpreter.get_tensor(self._regressors).copy()
            logits = self._interpreter.get_tensor(self._logits).copy()
        boxes, scores = decode(regressors, logits, self.geometry, min_confidence)
        kept = suppress(boxes, scores, max_faces)
        pixel_boxes = to_image_boxes(boxes[kept], side, placement, image.size)
        return [
            Face((float(a), float(b), float(c), float(d)), float(scores[i]))
            for (a, b, c, d), i in zip(pixel_boxes, kept, strict=True)
        ]
