"""Feature backbones and the shared normalisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepscreen.core.errors import ConfigError
from deepscreen.signals.learned.normalise import CannotNormalise, Normalisation
from deepscreen.signals.models.backbones import Backbone, SpectralBackbone
from deepscreen.signals.models.onnx_backbone import OnnxBackbone, OnnxModelSpec, Preprocessing
from deepscreen.signals.testing import write_tiny_onnx_embedding


def noise(seed: int, size: int = 256) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


# --- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(640, 480), (300, 900), (512, 512), (100, 64)])
def test_normalisation_gives_a_square_of_the_side(size: tuple[int, int]) -> None:
    image = Image.new("RGB", size, (10, 20, 30))
    out = Normalisation(side=128, min_side=64).apply(image)
    assert out.shape == (128, 128, 3) and out.dtype == np.uint8


def test_normalisation_refuses_tiny_images_with_the_reason() -> None:
    with pytest.raises(CannotNormalise, match="20×30 is under 64 px"):
        Normalisation(side=128, min_side=64).apply(Image.new("RGB", (20, 30)))


def test_normalisation_converts_modes_and_reencodes() -> None:
    grey = Image.fromarray(noise(1, 128)[..., 0], "L")
    lossless = Normalisation(side=128, jpeg_quality=None).apply(grey)
    jpeg = Normalisation(side=128, jpeg_quality=50).apply(grey)
    assert lossless.shape == jpeg.shape == (128, 128, 3)
    assert not np.array_equal(lossless, jpeg)  # the re-encode really happened
    rgba = Image.new("RGBA", (128, 128), (1, 2, 3, 0))
    assert Normalisation(side=128, jpeg_quality=None).apply(rgba)[0, 0].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    "kwargs",
    [{"side": 8}, {"side": 64, "min_side": 65}, {"jpeg_quality": 0}, {"jpeg_quality": 101}],
)
def test_normalisation_validates_parameters(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Normalisation(**kwargs)


def test_normalisation_round_trips_as_dict() -> None:
    norm = Normalisation(side=300, min_side=100, jpeg_quality=None)
    assert Normalisation.from_dict(norm.to_dict()) == norm


# --- spectral ----------------------------------------------------------------------------------


def test_spectral_features_shape_range_and_determinism() -> None:
    backbone = SpectralBackbone()
    assert isinstance(backbone, Backbone)
    features = backbone.embed([noise(0), noise(1)])
    assert features.shape == (2, backbone.dim) == (2, 128)
    assert features.dtype == np.float32 and np.all(np.isfinite(features))
    profile = features[:, :64]
    assert profile.min() == 0.0 and profile.max() == 1.0  # min-max normalised per image
    np.testing.assert_array_equal(features, backbone.embed([noise(0), noise(1)]))


def test_spectral_profile_sees_upsampling() -> None:
    """Nearest-neighbour upsampling (what some generator decoders do) starves high frequencies
    compared with native-resolution texture of the same statistics."""
    backbone = SpectralBackbone()
    native = noise(3)
    upsampled = noise(4, 128).repeat(2, 0).repeat(2, 1)
    profile = backbone.embed([native, upsampled])[:, :64]
    falloff = profile[:, :8].mean(axis=1) - profile[:, 56:].mean(axis=1)
    assert falloff[1] > falloff[0] + 0.3


def test_spectral_is_independent_of_brightness_scale() -> None:
    backbone = SpectralBackbone()
    image = noise(5).astype(np.float64)
    dim = (image * 0.5).astype(np.uint8)
    profile = backbone.embed([image.astype(np.uint8), dim])[:, :64]
    assert np.abs(profile[0] - profile[1]).max() < 0.1


def test_spectral_rejects_images_smaller_than_the_crop_and_bad_parameters() -> None:
    with pytest.raises(ValueError, match="smaller than the spectral crop"):
        SpectralBackbone(crop=256).embed([noise(0, 128)])
    with pytest.raises(ValueError):
        SpectralBackbone(crop=100)
    with pytest.raises(ValueError):
        SpectralBackbone(crop=64, bins=64)


def test_spectral_fingerprint_follows_parameters() -> None:
    assert SpectralBackbone().fingerprint == SpectralBackbone().fingerprint
    assert SpectralBackbone(bins=32).fingerprint != SpectralBackbone().fingerprint


# --- onnx --------------------------------------------------------------------------------------


def model_config(
    tmp_path: Path, *, fixed_batch: bool = False, extra: str = "", **pre: object
) -> Path:
    write_tiny_onnx_embedding(tmp_path / "tiny.onnx", input_size=32, dim=8, fixed_batch=fixed_batch)
    lines = ['model = "tiny.onnx"', extra, "[preprocessing]", "input_size = 32"]
    lines += [f"{key} = {value!r}".replace("'", '"') for key, value in pre.items()]
    path = tmp_path / "tiny.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_onnx_backbone_embeds_batches_like_single_images(tmp_path: Path) -> None:
    backbone = OnnxBackbone(OnnxModelSpec.from_toml(model_config(tmp_path)), batch_size=3)
    assert isinstance(backbone, Backbone) and backbone.dim == 8
    images = [noise(i, 64) for i in range(7)]
    batched = backbone.embed(images)
    single = np.concatenate([backbone.embed([image]) for image in images])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)  # l2 output
    assert backbone.embed([]).shape == (0, 8)


def test_onnx_backbone_feeds_fixed_batch_models_one_at_a_time(tmp_path: Path) -> None:
    spec = OnnxModelSpec.from_toml(model_config(tmp_path, fixed_batch=True))
    features = OnnxBackbone(spec).embed([noise(i, 48) for i in range(3)])
    assert features.shape == (3, 8)


def test_onnx_backbone_can_skip_output_normalisation(tmp_path: Path) -> None:
    spec = OnnxModelSpec.from_toml(model_config(tmp_path, normalise_output="none"))
    features = OnnxBackbone(spec).embed([noise(1, 64)])
    assert abs(float(np.linalg.norm(features)) - 1.0) > 1e-3


def test_onnx_fingerprint_covers_model_bytes_and_preprocessing(tmp_path: Path) -> None:
    first = OnnxBackbone(OnnxModelSpec.from_toml(model_config(tmp_path)))
    other_pre = OnnxBackbone(
        OnnxModelSpec.from_toml(model_config(tmp_path, interpolation="bilinear"))
    )
    assert first.fingerprint != other_pre.fingerprint
    write_tiny_onnx_embedding(tmp_path / "tiny.onnx", input_size=32, dim=8, seed=9)
    reweighted = OnnxBackbone(OnnxModelSpec.from_toml(tmp_path / "tiny.toml"))
    assert reweighted.fingerprint != first.fingerprint


def test_onnx_backbone_checks_the_pinned_hash(tmp_path: Path) -> None:
    path = model_config(tmp_path, extra='sha256 = "' + "0" * 64 + '"')
    with pytest.raises(ConfigError, match="expected 0000"):
        OnnxBackbone(OnnxModelSpec.from_toml(path))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("model = 3\n", "needs a 'model' path"),
        ('model = "x.onnx"\nwhat = 1\n', "unknown"),
        ('model = "x.onnx"\n[preprocessing]\nresize = "squash"\n', "resize"),
        ('model = "x.onnx"\n[preprocessing]\nstd = [0, 1, 1]\n', "std"),
        ("model = \n", "cannot read"),
    ],
)
def test_onnx_model_config_errors_are_clear(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        OnnxModelSpec.from_toml(path)


def test_onnx_backbone_refuses_missing_and_corrupt_models(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        OnnxBackbone(OnnxModelSpec(tmp_path / "none.onnx"))
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="cannot load ONNX model"):
        OnnxBackbone(OnnxModelSpec(tmp_path / "junk.onnx"))


def test_onnx_backbone_refuses_an_unknown_output(tmp_path: Path) -> None:
    path = model_config(tmp_path, extra='output = "logits"')
    with pytest.raises(ConfigError, match="no output 'logits'"):
        OnnxBackbone(OnnxModelSpec.from_toml(path))


def test_preprocessing_tensor_layout_and_normalisation() -> None:
    pre = Preprocessing(input_size=8, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    white = np.full((8, 12, 3), 255, dtype=np.uint8)
    tensor = pre.tensor([white])
    assert tensor.shape == (1, 3, 8, 8) and tensor.dtype == np.float32
    np.testing.assert_allclose(tensor, 1.0, atol=1e-6)  # (1 - 0.5) / 0.5
    assert Preprocessing.from_dict(pre.to_dict()) == pre


def test_normalisation_applies_an_embedded_icc_profile() -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    pixels = noise(2, 128)
    tagged = Image.fromarray(pixels, "RGB")
    tagged.info["icc_profile"] = srgb
    norm = Normalisation(side=128, jpeg_quality=None)
    converted = norm.apply(tagged)
    # sRGB to sRGB through littleCMS: the same colours, within rounding
    assert (
        np.abs(converted.astype(int) - norm.apply(Image.fromarray(pixels)).astype(int)).max() <= 2
    )


def test_normalisation_refuses_a_broken_icc_profile() -> None:
    image = Image.fromarray(noise(2, 128), "RGB")
    image.info["icc_profile"] = b"not a profile"
    with pytest.raises(CannotNormalise, match="ICC profile unusable"):
        Normalisation(side=128).apply(image)


def test_onnx_runs_on_cuda_only_when_onnxruntime_has_it() -> None:
    from deepscreen.signals.models.onnx_backbone import execution_providers

    class Runtime:
        def __init__(self, providers: list[str]) -> None:
            self.providers = providers

        def get_available_providers(self) -> list[str]:
            return self.providers

    cpu_only = Runtime(["AzureExecutionProvider", "CPUExecutionProvider"])
    assert execution_providers(cpu_only) == ["CPUExecutionProvider"]
    gpu = Runtime(["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert execution_providers(gpu) == ["CUDAExecutionProvider", "CPUExecutionProvider"]


def test_onnx_backbone_when_quantized_asks_for_exact_int8_arithmetic(tmp_path: Path) -> None:
    """On x86 CPUs without VNNI (e.g. AMD Zen 3), onnxruntime's fast u8s8 int8 kernels
    saturate (VPMADDUBSW): the shipped int8 CLIP encoder scored a real Kodak photo 0.91 there
    and 0.0003 with exact arithmetic. ``session.x64quantprecision`` makes every CPU compute
    it exactly (no effect where VNNI exists)."""
    backbone = OnnxBackbone(OnnxModelSpec.from_toml(model_config(tmp_path)))
    options = backbone._session.get_session_options()
    assert options.get_session_config_entry("session.x64quantprecision") == "1"
