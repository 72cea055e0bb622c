"""Which parts of a normalised image a head sees (``global`` or ``global+corners``), and how
their embeddings become one vector (docs/internals/signals.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

ViewName = Literal["global", "global+corners"]
VIEW_NAMES: tuple[str, ...] = ("global", "global+corners")


@dataclass(frozen=True, slots=True)
class Views:
    name: ViewName = "global"
    crop: int = 224

    def __post_init__(self) -> None:
        if self.name not in VIEW_NAMES:
            raise ValueError(f"unknown views {self.name!r}; use one of {', '.join(VIEW_NAMES)}")
        if not 16 <= self.crop <= 4096:
            raise ValueError(f"view crop {self.crop} is outside 16..4096")

    @property
    def count(self) -> int:
        """Backbone inputs per image."""
        return 1 if self.name == "global" else 5

    def feature_dim(self, backbone_dim: int) -> int:
        return backbone_dim if self.name == "global" else 2 * backbone_dim

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "crop": self.crop}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Views:
        return cls(name=data["name"], crop=int(data.get("crop", 224)))

    def inputs(self, image: np.ndarray) -> list[np.ndarray]:
        """The backbone inputs for one normalised ``(H, W, 3)`` image, ``count`` of them."""
        if self.name == "global":
            return [image]
        height, width = image.shape[:2]
        size = self.crop
        if min(height, width) < size:
            raise ValueError(f"image {width}×{height} is smaller than the view crop {size}")
        right, bottom = width - size, height - size
        corners = ((0, 0), (right, 0), (0, bottom), (right, bottom))
        return [image, *(image[top : top + size, left : left + size] for left, top in corners)]

    def combine(self, embeddings: np.ndarray) -> np.ndarray:
        """``(n_images * count, dim)`` backbone outputs → ``(n_images, feature_dim)`` features."""
        if self.name == "global":
            return np.asarray(embeddings, dtype=np.float32)
        dim = embeddings.shape[1]
        grouped = np.asarray(embeddings, dtype=np.float32).reshape(-1, self.count, dim)
        corners = grouped[:, 1:].mean(axis=1)
        corners /= np.maximum(np.linalg.norm(corners, axis=1, keepdims=True), 1e-12)
        return np.concatenate([grouped[:, 0], corners], axis=1)

    def embed(self, backbone: Any, images: Sequence[np.ndarray]) -> np.ndarray:
        """Features of normalised images through ``backbone`` (one batched ``embed`` call)."""
        inputs = [view for image in images for view in self.inputs(image)]
        if not inputs:
            return np.empty((0, self.feature_dim(backbone.dim)), dtype=np.float32)
        return self.combine(backbone.embed(inputs))
