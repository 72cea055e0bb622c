"""One normalisation for every image a learned detector sees, in training and in production: sRGB,
short side resized, centre square, optional JPEG re-encode (docs/internals/signals.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from io import BytesIO
from typing import Any

import numpy as np
from PIL import Image, ImageCms


class CannotNormalise(ValueError):
    """The image cannot be normalised (too small, no pixels); the message says why."""


@dataclass(frozen=True, slots=True)
class Normalisation:
    """``side``: the square output side; ``min_side``: smaller inputs are refused rather than
    upscaled past recognition; ``jpeg_quality``: re-encode once at this quality (None: never)."""

    side: int = 512
    min_side: int = 64
    jpeg_quality: int | None = 90

    def __post_init__(self) -> None:
        if not 16 <= self.side <= 4096:
            raise ValueError(f"normalisation side {self.side} is outside 16..4096")
        if not 1 <= self.min_side <= self.side:
            raise ValueError(f"min_side {self.min_side} must be in 1..side ({self.side})")
        if self.jpeg_quality is not None and not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"jpeg_quality {self.jpeg_quality} is outside 1..100")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Normalisation:
        return cls(**data)

    def apply(self, image: Image.Image) -> np.ndarray:
        """The normalised ``(side, side, 3)`` uint8 RGB array; raises ``CannotNormalise``."""
        width, height = image.size
        if min(width, height) < self.min_side:
            raise CannotNormalise(
                f"image {width}×{height} is under {self.min_side} px on a side: too small to "
                "normalise"
            )
        rgb = to_srgb(image if image.mode == "RGB" else image.convert("RGB"), image)
        scale = self.side / min(width, height)
        size = (max(self.side, round(width * scale)), max(self.side, round(height * scale)))
        resized = rgb.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)
        left, top = (size[0] - self.side) // 2, (size[1] - self.side) // 2
        square = resized.crop((left, top, left + self.side, top + self.side))
        if self.jpeg_quality is not None:
            buffer = BytesIO()
            square.save(buffer, "JPEG", quality=self.jpeg_quality, subsampling=0)
            with Image.open(BytesIO(buffer.getvalue())) as decoded:
                square = decoded.convert("RGB")
        return np.asarray(square, dtype=np.uint8)


_SRGB = ImageCms.createProfile("sRGB")


def to_srgb(rgb: Image.Image, original: Image.Image) -> Image.Image:
    """``rgb`` converted from the original's embedded ICC profile (if any) to sRGB.

    Raises ``CannotNormalise`` for a profile that cannot be read or applied: guessing the
    colours of a file with a broken profile would make it differ from everything else.
    """
    icc = original.info.get("icc_profile") or rgb.info.get("icc_profile")
    if not icc:
        return rgb
    try:
        profile = ImageCms.ImageCmsProfile(BytesIO(icc))
        converted = ImageCms.profileToProfile(rgb, profile, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        raise CannotNormalise(f"embedded ICC profile unusable: {exc}") from exc
    assert converted is not None  # profileToProfile returns an image unless inPlace
    return converted
