"""Synthetic pixels and generator metadata for the demo (seeded; no downloads)."""

from __future__ import annotations

import io
import json
from functools import cache
from importlib.resources import files

import numpy as np
from PIL import Image, ImageFilter, PngImagePlugin

# Photos bundled inside the scikit-image wheel (read as files; no network).
SOURCE_PHOTOS = (
    "astronaut.png",
    "coffee.png",
    "chelsea.png",
    "rocket.jpg",
    "hubble_deep_field.jpg",
    "retina.jpg",
    "motorcycle_left.png",
    "ihc.png",
)
SIZES = ((384, 288), (320, 240), (288, 384), (400, 300))
IPTC_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


@cache
def source_photo(name: str) -> Image.Image:
    with (files("skimage.data") / name).open("rb") as fh:
        image = Image.open(fh)
        return image.convert("RGB")


def _random_crop(rng: np.random.Generator, size: tuple[int, int]) -> Image.Image:
    photo = source_photo(SOURCE_PHOTOS[rng.integers(len(SOURCE_PHOTOS))])
    w, h = photo.size
    scale = rng.uniform(0.45, 0.95)
    cw, ch = int(w * scale), int(w * scale * size[1] / size[0])
    ch = min(ch, h)
    x, y = rng.integers(0, w - cw + 1), rng.integers(0, h - ch + 1)
    box = (int(x), int(y), int(x) + cw, int(y) + ch)
    crop = photo.resize(size, Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)
    return crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else crop


def noise_pool(rng: np.random.Generator, n: int = 1 << 21) -> np.ndarray:
    """Seeded Gaussian noise (σ = 3, rounded) that real_photo slices from: much cheaper than
    drawing fresh normals for every pixel of every image."""
    noise: np.ndarray = np.rint(3.0 * rng.standard_normal(n, dtype=np.float32)).astype(np.int16)
    return noise


def real_photo(rng: np.random.Generator, noise: np.ndarray) -> Image.Image:
    """A crop of a bundled photo with Gaussian 'sensor' noise (σ = 3) from ``noise``."""
    size = SIZES[rng.integers(len(SIZES))]
    pixels = np.asarray(_random_crop(rng, size), dtype=np.int16)
    start = int(rng.integers(0, noise.size - pixels.size))
    pixels = pixels + noise[start : start + pixels.size].reshape(pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def generated_image(rng: np.random.Generator) -> Image.Image:
    """A stand-in for a generator's output: no sensor noise, smooth, upsampled from half size.

    It is not made by a generative model; it only differs statistically from the 'real'
    photos the way many generator outputs do (missing sensor noise, interpolation traces).
    """
    size = SIZES[rng.integers(len(SIZES))]
    half = (size[0] // 2, size[1] // 2)
    base = _random_crop(rng, half).filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.4)))
    tint = np.asarray(
        Image.fromarray(rng.integers(0, 256, (3, 4, 3), dtype=np.uint8)).resize(
            half, Image.Resampling.BICUBIC
        ),
        dtype=np.float32,
    )
    mixed = 0.8 * np.asarray(base, dtype=np.float32) + 0.2 * tint
    return Image.fromarray(mixed.astype(np.uint8)).resize(size, Image.Resampling.BICUBIC)


def a1111_parameters(rng: np.random.Generator) -> str:
    seed = int(rng.integers(1, 2**31))
    steps = int(rng.choice([20, 25, 30]))
    return (
        f"a photo of a cat wearing a hat, highly detailed\nNegative prompt: blurry\n"
        f"Steps: {steps}, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: {seed}, "
        f"Size: 512x512, Model hash: c0d1994c73, Model: sd_xl_base_1.0"
    )


def comfyui_graphs(rng: np.random.Generator) -> tuple[str, str]:
    seed = int(rng.integers(1, 2**31))
    prompt = {
        "3": {
            "class_type": "KSampler",
            "inputs": {"seed": seed, "steps": 20, "cfg": 8, "sampler_name": "euler"},
        },
        "4": {
            "class_type": "CheckpointLoaderSimple",
            "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"},
        },
    }
    workflow = {
        "last_node_id": 4,
        "nodes": [{"id": 3, "type": "KSampler"}, {"id": 4, "type": "CheckpointLoaderSimple"}],
    }
    return json.dumps(prompt), json.dumps(workflow)


def iptc_xmp(source_type: str = IPTC_AI) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        f'Iptc4xmpExt:DigitalSourceType="{source_type}"/></rdf:RDF></x:xmpmeta>'
    ).encode()


def encode(image: Image.Image, marker: str | None, rng: np.random.Generator) -> tuple[bytes, str]:
    """Encode with the generator metadata ``marker`` asks for; returns (bytes, extension)."""
    out = io.BytesIO()
    if marker == "comfyui" or (marker == "a1111" and rng.random() < 0.6):
        info = PngImagePlugin.PngInfo()
        if marker == "a1111":
            info.add_text("parameters", a1111_parameters(rng))
        else:
            prompt, workflow = comfyui_graphs(rng)
            info.add_text("prompt", prompt)
            info.add_text("workflow", workflow)
        image.save(out, "PNG", pnginfo=info, compress_level=1)
        return out.getvalue(), ".png"
    options: dict[str, object] = {"quality": int(rng.integers(72, 95))}
    if marker == "a1111":  # A1111 writes JPEG parameters into EXIF UserComment (UTF-16)
        exif = Image.Exif()
        exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + a1111_parameters(rng).encode("utf-16-be")
        options["exif"] = exif
    elif marker == "iptc_xmp":
        options["xmp"] = iptc_xmp()
    image.save(out, "JPEG", **options)
    return out.getvalue(), ".jpg"
