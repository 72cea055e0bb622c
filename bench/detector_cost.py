"""Benchmark: what each learned-detector backbone costs per image, batched and one at a time.

On one pinned core (onnxruntime with one intra-op thread), over generated 1024×768 JPEG q90
photos (bench_images.py): bare decode, the shared normalisation (short side 512, centre crop,
JPEG q90 re-encode), then per backbone the features of normalised images one at a time and in
batches: ``spectral`` (NumPy/SciPy), ``tiny-onnx`` (the tiny CNN of docs/performance.md: four 3×3
stride-2 convs 3→16→32→64→128, global pool, FC 128; random weights, built here with onnx) and
``clip-vit-b16`` (the INT8 encoder from `deepscreen models fetch clip-vit-b16`) when it is in
the model cache. Prints ms/image and ratios measured in this run; writes
bench/results/detector_cost.json.

    .venv/bin/python bench/detector_cost.py [--images 16] [--batch 16] [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_images import make_images
from PIL import Image

from deepscreen.signals.learned.normalise import Normalisation
from deepscreen.signals.models.backbones import Backbone, SpectralBackbone
from deepscreen.signals.models.onnx_backbone import OnnxBackbone, OnnxModelSpec

RESULTS = Path(__file__).parent / "results" / "detector_cost.json"


def write_tiny_cnn(path: Path, seed: int = 0) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes, inits, prev, channels = [], [], "pixel_values", 3
    for i, out in enumerate((16, 32, 64, 128)):
        w = rng.normal(0, (2 / (9 * channels)) ** 0.5, (out, channels, 3, 3)).astype(np.float32)
        inits += [
            numpy_helper.from_array(w, f"w{i}"),
            numpy_helper.from_array(np.zeros(out, np.float32), f"b{i}"),
        ]
        nodes += [
            helper.make_node(
                "Conv", [prev, f"w{i}", f"b{i}"], [f"c{i}"], strides=[2, 2], pads=[1] * 4
            ),
            helper.make_node("Relu", [f"c{i}"], [f"r{i}"]),
        ]
        prev, channels = f"r{i}", out
    fc = rng.normal(0, 0.1, (128, 128)).astype(np.float32)
    inits.append(numpy_helper.from_array(fc, "fc"))
    nodes += [
        helper.make_node("GlobalAveragePool", [prev], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"], axis=1),
        helper.make_node("MatMul", ["f", "fc"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_cnn",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, 224, 224])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 128])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def per_image_ms(run: Callable[[], object], count: int, rounds: int) -> float:
    """Best-of-``rounds`` wall time of ``run`` (which processes ``count`` images), ms/image."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times) / count * 1000


def measure_backbone(backbone: Backbone, images: list[np.ndarray], batch: int, rounds: int) -> dict:
    backbone.embed(images[:2])  # warm-up: sessions, caches
    single = per_image_ms(lambda: [backbone.embed([i]) for i in images], len(images), rounds)

    def batched() -> None:
        for start in range(0, len(images), batch):
            backbone.embed(images[start : start + batch])

    in_batches = per_image_ms(batched, len(images), rounds)
    extra = {}
    if isinstance(backbone, OnnxBackbone):  # how much of it is resize + normalise
        pre = backbone.spec.preprocessing
        extra["preprocess_ms_per_image"] = round(
            per_image_ms(lambda: pre.tensor(images), len(images), rounds), 3
        )
    return {
        **extra,
        "dim": backbone.dim,
        "ms_per_image_single": round(single, 3),
        "ms_per_image_batched": round(in_batches, 3),
        "batch_speedup": round(single / in_batches, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    from deepscreen.adapters.model_fetch import model_config_path
    from deepscreen.signals.models.catalogue import default_models_dir

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = [p for p in make_images(folder, args.images) if p.suffix == ".jpg"]
        blobs = [p.read_bytes() for p in paths]

        def decode() -> list[Image.Image]:
            out = []
            for blob in blobs:
                with Image.open(io.BytesIO(blob)) as image:
                    out.append(image.convert("RGB"))
            return out

        decode_ms = per_image_ms(decode, len(blobs), args.rounds)
        decoded = decode()
        normalisation = Normalisation()
        normalise_ms = per_image_ms(
            lambda: [normalisation.apply(i) for i in decoded], len(decoded), args.rounds
        )
        normalised = [normalisation.apply(i) for i in decoded]
        write_tiny_cnn(folder / "tiny.onnx")
        (folder / "tiny.toml").write_text('model = "tiny.onnx"\n')
        backbones: dict[str, Backbone] = {
            "spectral": SpectralBackbone(),
            "tiny-onnx": OnnxBackbone(
                OnnxModelSpec.from_toml(folder / "tiny.toml"), batch_size=args.batch
            ),
        }
        clip = model_config_path(args.models_dir or default_models_dir(), "clip-vit-b16")
        clip_note = None
        if clip.is_file():
            backbones["clip-vit-b16"] = OnnxBackbone(
                OnnxModelSpec.from_toml(clip), batch_size=args.batch
            )
        else:
            clip_note = (
                f"not in the model cache ({clip}); run `deepscreen models fetch clip-vit-b16`"
            )
        measured = {
            name: measure_backbone(backbone, normalised, args.batch, args.rounds)
            for name, backbone in backbones.items()
        }
    for row in measured.values():
        row["ratio_to_bare_decode"] = round(row["ms_per_image_batched"] / decode_ms, 2)
    result = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cores_used": 1,
        "onnxruntime_intra_op_threads": 1,
        "images": len(blobs),
        "image_size": "1024x768 JPEG q90",
        "batch": args.batch,
        "bare_decode_ms_per_image": round(decode_ms, 3),
        "normalise_ms_per_image": round(normalise_ms, 3),
        "normalisation": normalisation.to_dict(),
        "backbones": measured,
        "clip_note": clip_note,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{len(blobs)} images 1024×768 JPEG q90, one core, batch {args.batch}")
    print(
        f"bare decode {decode_ms:.2f} ms/image; "
        f"normalise (512, JPEG q90) {normalise_ms:.2f} ms/image"
    )
    print(
        f"{'backbone':<14}{'single ms':>10}{'batched ms':>12}{'batch speedup':>15}{'× decode':>10}"
    )
    for name, row in measured.items():
        print(
            f"{name:<14}{row['ms_per_image_single']:>10.2f}{row['ms_per_image_batched']:>12.2f}"
            f"{row['batch_speedup']:>15.2f}{row['ratio_to_bare_decode']:>10.2f}"
        )
    if clip_note:
        print(f"clip-vit-b16: {clip_note}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
