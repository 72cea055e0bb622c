"""Face crops: how a face head's input is cut from an image, the same in training and scanning
(a square around the face box, widened by the margin; docs/internals/signals.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image

from deepscreen.signals.models.blazeface import Face

FACE_FINDER = "blazeface-full-range"


@dataclass(frozen=True, slots=True)
class FaceCrop:
    margin: float = 0.25
    min_confidence: float = 0.5
    finder: str = FACE_FINDER

    def __post_init__(self) -> None:
        if not 0.0 <= self.margin <= 2.0:
            raise ValueError(f"face margin {self.margin} is outside 0..2")
        if not 0.0 < self.min_confidence < 1.0:
            raise ValueError(f"face min_confidence {self.min_confidence} is outside (0, 1)")
        if self.finder != FACE_FINDER:
            raise ValueError(
                f"unknown face finder {self.finder!r}; this deepscreen has {FACE_FINDER}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {"margin": self.margin, "min_confidence": self.min_confidence, "finder": self.finder}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaceCrop:
        return cls(
            margin=float(data["margin"]),
            min_confidence=float(data["min_confidence"]),
            finder=str(data["finder"]),
        )


def crop_box(face: Face, size: tuple[int, int], margin: float) -> tuple[int, int, int, int]:
    """The square ``(left, top, right, bottom)`` around ``face`` in an image of ``size``."""
    width, height = size
    left, top, right, bottom = face.box
    side = round(max(right - left, bottom - top) * (1 + 2 * margin))
    side = max(1, min(side, width, height))
    x = round((left + right) / 2 - side / 2)
    y = round((top + bottom) / 2 - side / 2)
    x, y = min(max(x, 0), width - side), min(max(y, 0), height - side)
    return x, y, x + side, y + side


def cut(image: Image.Image, face: Face, margin: float) -> Image.Image:
    """The face's square crop (the image's ICC profile kept, for normalisation)."""
    return image.crop(crop_box(face, image.size, margin))
