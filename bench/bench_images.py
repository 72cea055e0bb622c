"""The benchmarks' shared test images: generated 1024×768 photos, JPEG q90 and PNG (seeded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from deepscreen.demo.images import SOURCE_PHOTOS, source_photo

SIZE = (1024, 768)


def make_images(directory: Path, count: int, seed: int = 7) -> list[Path]:
    """``count`` JPEGs (q90) and as many PNGs: crops of scikit-image's bundled photos, Lanczos
    resized, with Gaussian 'sensor' noise (σ = 4), as the inputs of docs/performance.md."""
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        photo = source_photo(SOURCE_PHOTOS[i % len(SOURCE_PHOTOS)])
        w, h = photo.size
        cw, ch = int(w * 0.8), min(h, int(w * 0.8 * 3 / 4))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        img = photo.crop((x, y, x + cw, y + ch)).resize(SIZE, Image.Resampling.LANCZOS)
        arr = np.asarray(img, dtype=np.float32) + rng.normal(0, 4, (SIZE[1], SIZE[0], 3))
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        for fmt, ext, opts in (("JPEG", ".jpg", {"quality": 90}), ("PNG", ".png", {})):
            path = directory / f"img{i:03d}{ext}"
            img.save(path, fmt, **opts)
            paths.append(path)
    return paths
