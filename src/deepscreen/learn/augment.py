"""Upload damage for training views: downscale, crop, re-encode as JPEG — drawn per file,
reproducibly (seeded by ``seed`` and the file's SHA-256, so a retrain from the same data is
bit-identical). Why and how: docs/internals/learn.md."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from io import BytesIO
from typing import Any

import numpy as np
from PIL import Image

_FILTERS = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS)


@dataclass(frozen=True, slots=True)
class Augmentation:
    """``copies`` damaged views per training image (0: none)."""

    copies: int = 1
    min_scale: float = 0.5
    min_crop: float = 0.8
    quality: tuple[int, int] = (50, 95)
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.copies <= 8:
            problems.append(f"copies {self.copies} is outside 0..8")
        if not 0.1 <= self.min_scale <= 1.0:
            problems.append(f"min_scale {self.min_scale} is outside 0.1..1")
        if not 0.5 <= self.min_crop <= 1.0:
            problems.append(f"min_crop {self.min_crop} is outside 0.5..1")
        low, high = self.quality
        if not 10 <= low <= high <= 100:
            problems.append(f"quality range {self.quality} is not within 10..100, low <= high")
        if problems:
            raise ValueError("; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["quality"] = list(self.quality)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Augmentation:
        values = dict(data)
        if "quality" in values:
            values["quality"] = tuple(int(q) for q in values["quality"])
        return cls(**values)

    def views(self, image: Image.Image, data: bytes) -> list[Image.Image]:
        """``copies`` damaged RGB versions of ``image`` (decoded from the file bytes ``data``)."""
        digest = hashlib.sha256(data).digest()
        rng = np.random.default_rng([self.seed, int.from_bytes(digest[:8], "big")])
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        return [self._damage(rgb, rng) for _ in range(self.copies)]

    def _damage(self, image: Image.Image, rng: np.random.Generator) -> Image.Image:
        width, height = image.size
        scale = float(rng.uniform(self.min_scale, 1.0))
        resample = _FILTERS[int(rng.integers(len(_FILTERS)))]
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        out = image.resize(size, resample) if size != image.size else image
        keep_w = max(1, round(size[0] * float(rng.uniform(self.min_crop, 1.0))))
        keep_h = max(1, round(size[1] * float(rng.uniform(self.min_crop, 1.0))))
        left = int(rng.integers(size[0] - keep_w + 1))
        top = int(rng.integers(size[1] - keep_h + 1))
        out = out.crop((left, top, left + keep_w, top + keep_h))
        quality = int(rng.integers(self.quality[0], self.quality[1] + 1))
        buffer = BytesIO()
        out.save(buffer, "JPEG", quality=quality)
        with Image.open(BytesIO(buffer.getvalue())) as decoded:
            return decoded.convert("RGB")
