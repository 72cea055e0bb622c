"""A seeded synthetic labelled image set for trying ``deepscreen train`` / ``eval``: NOT real
photographs or generator output, but 1/f^α colour fields, the "AI" ones upsampled the way
generator decoders do (how, and the ``confound`` option: docs/internals/demo.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

REAL_SOURCES = {"camera_a": 2.0, "camera_b": 4.0, "camera_c": 7.0}  # sensor noise sigma
AI_SOURCES = ("gen_nearest", "gen_zeros", "gen_bilinear")
SIZE = (320, 320)


@dataclass(frozen=True)
class WrittenSet:
    root: Path
    counts: dict[str, int]


def power_law_field(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A colour image in [0, 255] whose spectrum falls as 1/f^α, α drawn in [1.6, 2.4]."""
    alpha = rng.uniform(1.6, 2.4)
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    radius = np.hypot(fy, fx)
    radius[0, 0] = 1.0
    amplitude = radius ** (-alpha / 2)
    amplitude[0, 0] = 0.0
    channels = []
    for _ in range(3):
        phase = rng.uniform(0, 2 * np.pi, amplitude.shape)
        field = np.fft.irfft2(amplitude * np.exp(1j * phase), s=(height, width))
        channels.append(field / (field.std() + 1e-9))
    mix = rng.normal(0, 1, (3, 3)) * 0.3 + np.eye(3)
    image = np.tensordot(np.stack(channels, -1), mix, axes=1)
    return np.clip(128 + 40 * image + rng.normal(0, 20, 3), 0, 255)


def _upsample(rng: np.random.Generator, source: str, height: int, width: int) -> np.ndarray:
    factor = 2
    low = power_law_field(rng, height // factor, width // factor)
    if source == "gen_nearest":
        return low.repeat(factor, 0).repeat(factor, 1)
    if source == "gen_zeros":  # zero insertion then a small blur: a checkerboard residue
        up = np.zeros((height, width, 3))
        up[::factor, ::factor] = low * factor * factor
        kernel = np.array([0.25, 0.5, 0.25])
        for axis in (0, 1):
            up = np.apply_along_axis(lambda v: np.convolve(v, kernel, "same"), axis, up)
        return np.clip(up, 0, 255)
    image = Image.fromarray(low.astype(np.uint8), "RGB").resize(
        (width, height), Image.Resampling.BILINEAR
    )
    return np.asarray(image, dtype=np.float64)


def write_labelled_set(
    root: Path, *, per_source: int = 20, seed: int = 0, confound: bool = False
) -> WrittenSet:
    """Write ``root/ai/<generator>/*.jpg`` and ``root/real/<camera>/*.jpg``; returns counts."""
    rng = np.random.default_rng(seed)
    width, height = SIZE
    counts = {"ai": 0, "real": 0}
    for camera, sigma in REAL_SOURCES.items():
        for index in range(per_source):
            pixels = power_law_field(rng, height, width) + rng.normal(0, sigma, (height, width, 3))
            _save(root / "real" / camera / f"{index:04d}.jpg", pixels, rng)
            counts["real"] += 1
    for generator in AI_SOURCES:
        for index in range(per_source):
            pixels = _upsample(rng, generator, height, width) + rng.normal(
                0, 1.5, (height, width, 3)
            )
            if confound:
                pixels = pixels[:, : width - 64]
            _save(root / "ai" / generator / f"{index:04d}.jpg", pixels, rng)
            counts["ai"] += 1
    return WrittenSet(root, counts)


def _save(path: Path, pixels: np.ndarray, rng: np.random.Generator) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(np.clip(np.round(pixels), 0, 255).astype(np.uint8), "RGB")
    image.save(path, "JPEG", quality=int(rng.integers(85, 96)))
