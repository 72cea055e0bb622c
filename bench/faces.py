"""Benchmark: the face finder (BlazeFace full-range on LiteRT) — cost, reach and misfires.

- time per image at three sizes (median of 30 runs, one thread; the resize is included);
- reach: scikit-image's astronaut pasted into a 1600×1200 grey frame with her face at shrinking
  widths: is the face found (a box with IoU ≥ 0.3 against the true one), at what confidence,
  and are there boxes elsewhere;
- misfires: faces "found" in scikit-image's pictures that have none (coffee, a cat, a rocket…);
- prevalence: the share of the training pool's AI and real images with at least one face
  (what a face head trained on such a pool would see).

Writes bench/results/faces.json. Needs `deepscreen models fetch blazeface-full-range`.

    .venv/bin/python bench/faces.py [POOL]   # POOL: ../shared/training/ai-vs-real
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from deepscreen.learn.dataset import load_labelled
from deepscreen.media import read_media_file
from deepscreen.signals.faces.detector import load_face_finder
from deepscreen.signals.models.blazeface import iou
from deepscreen.signals.models.catalogue import default_models_dir

ASTRONAUT_FACE = (172.3, 66.6, 277.5, 171.7)  # the finder's box on the 512×512 original
ASTRONAUT_FACE_WIDTH = ASTRONAUT_FACE[2] - ASTRONAUT_FACE[0]
NO_FACE = (
    "coffee",
    "chelsea",
    "rocket",
    "cat",
    "coins",
    "hubble_deep_field",
    "immunohistochemistry",
)


def timing(finder: object) -> dict[str, float]:
    astronaut = Image.fromarray(data.astronaut())
    out = {}
    for side in (512, 1024, 4000):
        image = astronaut.resize((side, side))
        finder.find(image)  # type: ignore[attr-defined]
        runs = []
        for _ in range(30):
            start = time.perf_counter()
            finder.find(image)  # type: ignore[attr-defined]
            runs.append(time.perf_counter() - start)
        out[f"{side}x{side}_ms"] = round(statistics.median(runs) * 1000, 2)
    return out


def reach(finder: object) -> list[dict[str, object]]:
    astronaut = Image.fromarray(data.astronaut())
    rows = []
    for width in (200, 160, 120, 100, 80, 60, 45, 35, 25):
        side = round(512 * width / ASTRONAUT_FACE_WIDTH)
        frame = Image.new("RGB", (1600, 1200), (90, 90, 90))
        frame.paste(astronaut.resize((side, side)), (700, 400))
        scale = side / 512
        truth = np.array([700, 400, 700, 400]) + np.array(ASTRONAUT_FACE) * scale
        faces = finder.find(frame)  # type: ignore[attr-defined]
        overlaps = iou(truth, np.array([f.box for f in faces])) if faces else []
        rows.append(
            {
                "face_px": width,
                "hit": any(o >= 0.3 for o in overlaps),
                "boxes": [
                    {"confidence": round(f.confidence, 3), "iou_with_face": round(float(o), 2)}
                    for f, o in zip(faces, overlaps, strict=True)
                ],
            }
        )
    return rows


def misfires(finder: object) -> dict[str, int]:
    return {
        name: len(finder.find(Image.fromarray(getattr(data, name)()).convert("RGB")))  # type: ignore[attr-defined]
        for name in NO_FACE
    }


def prevalence(finder: object, pool: Path) -> dict[str, object]:
    dataset = load_labelled(pool)
    with_face = {"ai": 0, "real": 0}
    total = {"ai": 0, "real": 0}
    for entry in dataset.items:
        label = "ai" if entry.label else "real"
        item = read_media_file(entry.path)
        if item.pixels is None:
            continue
        total[label] += 1
        with_face[label] += bool(finder.find(item.pixels))  # type: ignore[attr-defined]
    return {
        label: {
            "images": total[label],
            "with_face": with_face[label],
            "share": round(with_face[label] / max(total[label], 1), 4),
        }
        for label in total
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = Path(__file__).resolve().parent
    parser.add_argument(
        "pool",
        nargs="?",
        type=Path,
        default=here.parent.parent / "shared" / "training" / "ai-vs-real",
    )
    parser.add_argument("--out", type=Path, default=here / "results" / "faces.json")
    args = parser.parse_args()
    finder = load_face_finder(default_models_dir())
    result = {
        "machine": {"cpu": platform.processor() or platform.machine(), "threads": 1},
        "timing": timing(finder),
        "reach_in_1600x1200": reach(finder),
        "misfires_on_faceless_pictures": misfires(finder),
        "pool_prevalence": prevalence(finder, args.pool) if args.pool.is_dir() else None,
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
