"""BlazeFace decoding without the model: anchors, boxes, suppression, letterbox geometry, crops."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from deepscreen.signals.learned.face_crop import FaceCrop, crop_box
from deepscreen.signals.models.blazeface import (
    FULL_RANGE,
    Face,
    decode,
    iou,
    letterbox,
    ssd_anchors,
    suppress,
    to_image_boxes,
)


def test_full_range_anchors_are_a_48_by_48_grid_in_row_order() -> None:
    anchors = ssd_anchors(FULL_RANGE)
    assert anchors.shape == (2304, 2) == (FULL_RANGE.anchor_count, 2)
    assert anchors[0] == pytest.approx([0.5 / 48, 0.5 / 48])
    assert anchors[1] == pytest.approx([1.5 / 48, 0.5 / 48])  # x moves first
    assert anchors[48] == pytest.approx([0.5 / 48, 1.5 / 48])
    assert not anchors.flags.writeable


def test_decode_keeps_confident_anchors_and_places_their_boxes() -> None:
    regressors = np.zeros((1, 2304, 16), np.float32)
    logits = np.full((1, 2304, 1), -10.0, np.float32)
    index = 48 * 24 + 24  # the anchor at the centre cell (24.5/48, 24.5/48)
    regressors[0, index, :4] = [9.6, -19.2, 48.0, 96.0]  # centre offset and size, input pixels
    logits[0, index] = 3.0
    boxes, scores = decode(regressors, logits, FULL_RANGE, min_confidence=0.5)
    assert scores == pytest.approx([1 / (1 + np.exp(-3.0))])
    cx, cy = 24.5 / 48 + 9.6 / 192, 24.5 / 48 - 19.2 / 192
    assert boxes[0] == pytest.approx([cx - 0.125, cy - 0.25, cx + 0.125, cy + 0.25])
    assert decode(regressors, logits, FULL_RANGE, min_confidence=0.99)[0].shape == (0, 4)


def test_suppression_keeps_the_most_confident_of_overlapping_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], np.float64)
    scores = np.array([0.6, 0.9, 0.7])
    assert suppress(boxes, scores, max_faces=8) == [1, 2]
    assert suppress(boxes, scores, max_faces=1) == [1]
    assert iou(boxes[0], boxes[2:]) == pytest.approx([0.0])


def test_letterbox_geometry_maps_input_boxes_back_to_image_pixels() -> None:
    image = Image.new("RGB", (400, 200), (200, 100, 50))
    tensor, placement = letterbox(image, 192)
    assert tensor.shape == (1, 192, 192, 3) and tensor.dtype == np.float32
    assert float(tensor.min()) >= -1.0 and float(tensor.max()) <= 1.0
    assert placement == (192 / 400, 0.0, 48.0)  # 400×200 → 192×96, 48 px bars above and below
    assert tensor[0, 0, 0] == pytest.approx([-1, -1, -1])  # a bar is black
    box = np.array([[0.25, 0.5, 0.5, 0.95]])  # in input units; the bottom in the lower bar
    pixels = to_image_boxes(box, 192, placement, image.size)
    assert pixels[0] == pytest.approx([100.0, 100.0, 200.0, 200.0])  # bottom clipped to image


def test_a_face_crop_is_a_square_with_margin_kept_inside_the_image() -> None:
    face = Face((100.0, 100.0, 140.0, 160.0), 0.9)  # 40×60, centre (120, 130)
    assert crop_box(face, (500, 500), 0.25) == (75, 85, 165, 175)  # 60 × 1.5 = 90
    edge = Face((0.0, 0.0, 40.0, 60.0), 0.9)
    assert crop_box(edge, (500, 500), 0.25) == (0, 0, 90, 90)  # moved inside, not cut
    assert crop_box(face, (80, 300), 0.25) == (0, 90, 80, 170)  # shrunk, still centred


def test_face_crop_settings_are_validated() -> None:
    assert FaceCrop.from_dict(FaceCrop(margin=0.5).to_dict()) == FaceCrop(margin=0.5)
    with pytest.raises(ValueError, match="margin"):
        FaceCrop(margin=3.0)
    with pytest.raises(ValueError, match="face finder"):
        FaceCrop(finder="opencv-haar")
