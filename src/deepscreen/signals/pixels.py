"""Pixel views derived once per item and shared by every detector that reads pixels: the RGB
image, its uint8 array and box-filter downscales. Cached on the item; callers must not modify
them. Each helper needs ``item.pixels`` (raise ``ValueError`` without it)."""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from deepscreen.core.media import MediaItem

RGB_IMAGE = "pixels:rgb"
RGB_ARRAY = "pixels:rgb_array"
BOX_REDUCED = "pixels:box_reduced:{factor}"


def rgb_image(item: MediaItem) -> Image.Image:
    """``item.pixels`` in RGB mode: itself when already RGB (as ``load_media`` decodes), else
    converted once per item."""
    pixels = _pixels(item)
    if pixels.mode == "RGB":
        return pixels
    return item.derive(RGB_IMAGE, lambda: pixels.convert("RGB"))


def rgb_array(item: MediaItem) -> NDArray[np.uint8]:
    """The RGB pixels as a read-only H×W×3 uint8 array, copied out of Pillow once per item."""
    return item.derive(RGB_ARRAY, lambda: _read_only(np.asarray(rgb_image(item), np.uint8)))


def box_reduced(item: MediaItem, factor: int) -> Image.Image:
    """The RGB pixels shrunk by ``Image.reduce(factor)`` (a box filter), once per item and
    factor; factor 1 is the RGB image itself."""
    if factor < 1:
        raise ValueError(f"reduction factor must be >= 1, got {factor!r}")
    if factor == 1:
        return rgb_image(item)
    return item.derive(BOX_REDUCED.format(factor=factor), lambda: rgb_image(item).reduce(factor))


def _pixels(item: MediaItem) -> Image.Image:
    if item.pixels is None:
        raise ValueError(f"item {item.item_id} has no decoded pixels")
    return cast(Image.Image, item.pixels)


def _read_only(array: NDArray[np.uint8]) -> NDArray[np.uint8]:
    array.flags.writeable = False
    return array
