"""The ``onnx`` backbone: any image-embedding ONNX model, its preprocessing declared in a small
TOML file beside it (the format: docs/internals/signals.md)."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from PIL import Image

from deepscreen.core.errors import ConfigError
from deepscreen.signals.models.backbones import config_fingerprint

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
_RESAMPLING = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}


@dataclass(frozen=True, slots=True)
class Preprocessing:
    input_size: int = 224
    resize: Literal["short_side", "stretch"] = "short_side"
    crop: Literal["center", "none"] = "center"
    interpolation: Literal["bicubic", "bilinear"] = "bicubic"
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD
    normalise_output: Literal["l2", "none"] = "l2"

    def __post_init__(self) -> None:
        problems = []
        if not 8 <= self.input_size <= 2048:
            problems.append(f"input_size {self.input_size} is outside 8..2048")
        if self.resize not in ("short_side", "stretch"):
            problems.append(f"resize {self.resize!r} is not 'short_side' or 'stretch'")
        if self.crop not in ("center", "none"):
            problems.append(f"crop {self.crop!r} is not 'center' or 'none'")
        if self.interpolation not in _RESAMPLING:
            problems.append(
                f"interpolation {self.interpolation!r} is not one of {list(_RESAMPLING)}"
            )
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            problems.append("mean and std need three values each, std positive")
        if self.normalise_output not in ("l2", "none"):
            problems.append(f"normalise_output {self.normalise_output!r} is not 'l2' or 'none'")
        if problems:
            raise ValueError("; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mean"], data["std"] = list(self.mean), list(self.std)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessing:
        values = dict(data)
        for key in ("mean", "std"):
            if key in values:
                values[key] = tuple(float(v) for v in values[key])
        return cls(**values)

    def tensor(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """``(N, 3, input_size, input_size)`` float32 model input."""
        size = self.input_size
        batch = np.empty((len(images), size, size, 3), dtype=np.float32)
        resample = _RESAMPLING[self.interpolation]
        for row, array in enumerate(images):
            image = Image.fromarray(np.ascontiguousarray(array[..., :3]), "RGB")
            width, height = image.size
            if self.resize == "stretch":
                image = image.resize((size, size), resample)
            else:
                scale = size / min(width, height)
                target = (max(size, round(width * scale)), max(size, round(height * scale)))
                image = image.resize(target, resample)
                if self.crop == "center":
                    left, top = (target[0] - size) // 2, (target[1] - size) // 2
                    image = image.crop((left, top, left + size, top + size))
                else:
                    image = image.resize((size, size), resample)
            batch[row] = np.asarray(image, dtype=np.float32)
        batch *= 1.0 / 255.0
        batch -= np.asarray(self.mean, dtype=np.float32)
        batch /= np.asarray(self.std, dtype=np.float32)
        return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))


@dataclass(frozen=True, slots=True)
class OnnxModelSpec:
    """A model file, its expected hash and how to feed it."""

    model: Path
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    sha256: str | None = None
    output: str | None = None

    @classmethod
    def from_toml(cls, path: Path) -> OnnxModelSpec:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read ONNX model config {str(path)!r}: {exc}") from exc
        unknown = set(data) - {"model", "sha256", "output", "preprocessing"}
        if unknown or not isinstance(data.get("model"), str):
            raise ConfigError(
                f"{path}: an ONNX model config needs a 'model' path and allows only 'sha256', "
                f"'output' and [preprocessing]"
                + (f" (unknown: {sorted(unknown)})" if unknown else "")
            )
        try:
            preprocessing = Preprocessing.from_dict(data.get("preprocessing", {}))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: invalid [preprocessing]: {exc}") from exc
        return cls(
            model=(path.parent / data["model"]).resolve(),
            preprocessing=preprocessing,
            sha256=data.get("sha256"),
            output=data.get("output"),
        )


def execution_providers(ort: Any) -> list[str]:
    """CUDA first when onnxruntime was built with it (``pip install 'deepscreen[gpu]'``, i.e.
    onnxruntime-gpu), else the CPU. Scores on a GPU may differ from the CPU's in the last
    digits; a head's thresholds are not that sharp."""
    available = set(ort.get_available_providers())
    wanted = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return [p for p in wanted if p in available] or ["CPUExecutionProvider"]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class OnnxBackbone:
    """Runs an image-embedding ONNX model with onnxruntime on the CPU.

    ``intra_op_threads`` defaults to 1: one process per core is the fastest layout here, and
    onnxruntime's own default escapes ``taskset``. ``batch_size`` bounds one ``run`` call and
    defaults to 1: a dynamically quantised model (the INT8 CLIP encoder) computes one activation
    scale per *batch*, so an image's embedding would depend on its batch-mates (measured: up to
    0.08 per coordinate of a unit vector between batches of 16 and 2) — and a score must not
    depend on what else was scanned. One image per run costs under 10 % of throughput
    (62 vs 59 ms/image on one core). Raise it only for models without dynamic quantisation.
    """

    kind: ClassVar[str] = "onnx"

    def __init__(
        self,
        spec: OnnxModelSpec,
        *,
        intra_op_threads: int = 1,
        inter_op_threads: int = 1,
        batch_size: int = 1,
    ) -> None:
        import onnxruntime as ort  # heavy import, paid only by users of this backbone

        if not spec.model.is_file():
            raise ConfigError(f"ONNX model file {str(spec.model)!r} does not exist")
        digest = file_sha256(spec.model)
        if spec.sha256 is not None and digest != spec.sha256.lower():
            raise ConfigError(
                f"ONNX model {str(spec.model)!r} has SHA-256 {digest}, expected {spec.sha256}"
            )
        self.spec, self.model_sha256 = spec, digest
        self.batch_size = max(1, batch_size)
        options = session_options(intra_op_threads, inter_op_threads)
        try:
            self._session = ort.InferenceSession(
                str(spec.model), sess_options=options, providers=execution_providers(ort)
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors on bad models
            raise ConfigError(f"cannot load ONNX model {str(spec.model)!r}: {exc}") from exc
        inputs = self._session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise ConfigError(f"{spec.model}: expected one NCHW image input, got {inputs}")
        self._input = inputs[0].name
        self._fixed_batch = inputs[0].shape[0] == 1
        outputs = [o.name for o in self._session.get_outputs()]
        if spec.output is not None and spec.output not in outputs:
            raise ConfigError(f"{spec.model}: no output {spec.output!r}; outputs: {outputs}")
        self._output = spec.output or outputs[0]
        probe = self._run(
            np.zeros(
                (1, 3, spec.preprocessing.input_size) + (spec.preprocessing.input_size,), np.float32
            )
        )
        if probe.ndim != 2:
            raise ConfigError(
                f"{spec.model}: output {self._output!r} has shape {probe.shape}; an embedding "
                "model must give (batch, dim)"
            )
        self._dim = int(probe.shape[1])

    @property
    def dim(self) -> int:
        return self._dim

    def config(self) -> dict[str, Any]:
        return {
            "model_sha256": self.model_sha256,
            "output": self._output,
            "preprocessing": self.spec.preprocessing.to_dict(),
        }

    @property
    def fingerprint(self) -> str:
        return config_fingerprint(self.kind, self.config())

    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        step = 1 if self._fixed_batch else self.batch_size
        parts = [
            self._run(self.spec.preprocessing.tensor(images[start : start + step]))
            for start in range(0, len(images), step)
        ]
        if not parts:
            return np.empty((0, self._dim), dtype=np.float32)
        features = np.concatenate(parts).astype(np.float32, copy=False)
        if self.spec.preprocessing.normalise_output == "l2":
            norms = np.linalg.norm(features, axis=1, keepdims=True)
            features = features / np.maximum(norms, 1e-12)
        return features

    def _run(self, tensor: np.ndarray) -> np.ndarray:
        return np.asarray(self._session.run([self._output], {self._input: tensor})[0])


def session_options(intra_op_threads: int = 1, inter_op_threads: int = 1) -> Any:
    """The onnxruntime options every deepscreen session uses (``ort.SessionOptions``)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = inter_op_threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Exact int8 GEMMs on x86 CPUs without VNNI: the fast u8s8 path saturates there and
    # the int8 CLIP encoder's scores change CPU to CPU (docs/performance.md).
    options.add_session_config_entry("session.x64quantprecision", "1")
    return options
