"""MetadataDetector: one test per marker family, on images generated in the test."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from PIL import Image, PngImagePlugin

from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.core.signals import SignalResult
from deepscreen.signals.metadata.detector import NO_METADATA, MetadataDetector

A1111 = "a duck\nNegative prompt: blurry\nSteps: 15, Sampler: UniPC, CFG scale: 5, Seed: 1"
IPTC_NS = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def png(text: dict[str, str] | None = None, itxt: dict[str, str] | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    for key, value in (itxt or {}).items():
        info.add_itxt(key, value, zip=True)
    buffer = BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def jpeg(xmp: str | None = None, exif: Image.Exif | None = None) -> bytes:
    options: dict[str, object] = {}
    if xmp is not None:
        options["xmp"] = xmp.encode()
    if exif is not None:
        options["exif"] = exif.tobytes()
    buffer = BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def xmp_packet(body: str) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"{body}</rdf:RDF></x:xmpmeta>"
    )


def dst_attribute(term: str, prefix: str = "Iptc4xmpExt") -> str:
    return xmp_packet(f'<rdf:Description {prefix}:DigitalSourceType="{IPTC_NS}{term}"/>')


def detect(data: bytes, kind: MediaKind = MediaKind.IMAGE) -> SignalResult:
    item = MediaItem(content_item_id(data), kind, "image/x", 8, 8, data)
    return MetadataDetector().detect(item)


def assert_ai(result: SignalResult, tool: str | None, source: str) -> None:
    assert result.score == 1.0, result
    if tool is not None:
        assert tool in result.evidence["tools"]
    assert source in {m["source"] for m in result.evidence["markers"]}
    json.dumps(result.evidence)


def test_automatic1111_when_png_parameters() -> None:
    assert_ai(detect(png({"parameters": A1111})), "automatic1111", "png_text:parameters")


@pytest.mark.parametrize(
    "raw",
    [
        b"UNICODE\0" + A1111.encode("utf-16-be"),
        b"UNICODE\0" + A1111.encode("utf-16-le"),
        b"ASCII\0\0\0" + A1111.encode("ascii"),
    ],
    ids=["unicode_be", "unicode_le", "ascii"],
)
def test_automatic1111_when_exif_user_comment(raw: bytes) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = raw
    assert_ai(detect(jpeg(exif=exif)), "automatic1111", "exif:UserComment")


def test_comfyui_when_prompt_api_graph() -> None:
    graph = {"3": {"class_type": "KSampler", "inputs": {"steps": 20}}}
    assert_ai(detect(png({"prompt": json.dumps(graph)})), "comfyui", "png_text:prompt")


def test_comfyui_when_workflow_ui_graph() -> None:
    workflow = {"last_node_id": 1, "nodes": [{"id": 1, "type": "KSampler"}]}
    assert_ai(detect(png({"workflow": json.dumps(workflow)})), "comfyui", "png_text:workflow")


def test_no_marker_when_prompt_is_plain_text() -> None:
    result = detect(png({"prompt": "a cat on a mat"}))
    assert result.abstain_reason == NO_METADATA
    assert "parse_errors" not in result.evidence


def test_fooocus_when_scheme_and_json_parameters() -> None:
    params = json.dumps({"base_model": "juggernautXL", "full_prompt": ["a cat"], "steps": 30})
    result = detect(png({"parameters": params, "fooocus_scheme": "fooocus"}))
    assert_ai(result, "fooocus", "png_text:parameters")
    assert_ai(result, "fooocus", "png_text:fooocus_scheme")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("invokeai_metadata", '{"generation_mode": "txt2img", "positive_prompt": "a cat"}'),
        ("sd-metadata", '{"app_id": "invoke-ai/InvokeAI", "image": {}}'),
        ("Dream", '"a cat" -s 50 -S 2980747362 -W 512 -H 768 -C 5 -A k_lms'),
    ],
)
def test_invokeai_when_its_keys(key: str, value: str) -> None:
    assert_ai(detect(png({key: value})), "invokeai", f"png_text:{key}")


@pytest.mark.parametrize(("software", "tool"), [("DALL·E 3", "dall_e"), ("Luma AI", "luma_ai")])
def test_tool_when_png_software_names_a_generator(software: str, tool: str) -> None:
    assert_ai(detect(png({"Software": software})), tool, "png_text:Software")


def test_novelai_when_software_and_title() -> None:
    result = detect(png({"Software": "NovelAI", "Title": "AI generated image"}))
    assert_ai(result, "novelai", "png_text:Software")
    assert_ai(result, "novelai", "png_text:Title")


def test_midjourney_when_description_has_job_id() -> None:
    text = "a cat --ar 4:3 --v 5.2 Job ID: 0b5c6c3e-1111-2222-3333-444455556666"
    assert_ai(detect(png({"Description": text})), "midjourney", "png_text:Description")


@pytest.mark.parametrize(
    "term",
    [
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "compositeSynthetic",
    ],
)
def test_ai_when_iptc_digital_source_type_attribute(term: str) -> None:
    result = detect(jpeg(xmp=dst_attribute(term)))
    assert_ai(result, None, "xmp:DigitalSourceType")
    assert result.evidence["digital_source_type"] == term


def test_ai_when_c2pa_trained_algorithmic_data() -> None:
    body = (
        '<rdf:Description><iptcExt:DigitalSourceType rdf:resource="'
        'http://c2pa.org/digitalsourcetype/trainedAlgorithmicData"/></rdf:Description>'
    )
    result = detect(jpeg(xmp=xmp_packet(body)))
    assert result.evidence["digital_source_type"] == "trainedAlgorithmicData"
    assert result.score == 1.0


def test_ai_when_iptc_digital_source_type_element_with_iptcext_prefix() -> None:
    body = (
        "<rdf:Description><iptcExt:DigitalSourceType>"
        f"{IPTC_NS}trainedAlgorithmicMedia</iptcExt:DigitalSourceType></rdf:Description>"
    )
    assert_ai(detect(jpeg(xmp=xmp_packet(body))), None, "xmp:DigitalSourceType")


def test_abstains_when_dst_is_algorithmic_media_because_procedural_is_not_ai() -> None:
    result = detect(jpeg(xmp=dst_attribute("algorithmicMedia")))
    assert result.abstained
    assert result.evidence["digital_source_type"] == "algorithmicMedia"
    assert result.evidence["markers"] == []


@pytest.mark.parametrize("term", ["digitalCapture", "computationalCapture", "negativeFilm"])
def test_scores_zero_when_only_a_capture_declaration(term: str) -> None:
    result = detect(jpeg(xmp=dst_attribute(term, prefix="iptcExt")))
    assert result.score == 0.0
    assert result.evidence["markers"][0]["kind"] == "capture"
    assert result.evidence["digital_source_type"] == term


def test_ai_marker_wins_over_capture_declaration() -> None:
    exif = Image.Exif()
    exif[0x0131] = "Adobe Firefly"
    result = detect(jpeg(xmp=dst_attribute("digitalCapture"), exif=exif))
    assert_ai(result, "firefly", "exif:Software")
    assert [m["kind"] for m in result.evidence["markers"]] == ["ai", "capture"]


def test_xmp_found_in_compressed_png_itxt() -> None:
    packet = dst_attribute("trainedAlgorithmicMedia")
    result = detect(png(itxt={"XML:com.adobe.xmp": packet}))
    assert_ai(result, None, "xmp:DigitalSourceType")


@pytest.mark.parametrize(
    "element",
    [
        '<TC260:AIGC>{"Label":"1","ContentProducer":"001","ProduceID":"abc"}</TC260:AIGC>',
        '<rdf:Description TC260:AIGC="{&quot;Label&quot;:&quot;1&quot;,&quot;ProduceID&quot;:1}"/>',
    ],
    ids=["element", "attribute"],
)
def test_ai_when_tc260_aigc_label_1(element: str) -> None:
    assert_ai(detect(jpeg(xmp=xmp_packet(element))), None, "xmp:TC260:AIGC")


def test_abstains_when_tc260_label_only_says_possibly() -> None:
    element = '<TC260:AIGC>{"Label":"2","ContentProducer":"001"}</TC260:AIGC>'
    assert detect(jpeg(xmp=xmp_packet(element))).abstained


@pytest.mark.parametrize(
    ("software", "tool"),
    [
        ("DALL-E 3", "dall_e"),
        ("Midjourney v6", "midjourney"),
        ("ComfyUI", "comfyui"),
        ("gpt-image-1", "gpt_image"),
        ("FLUX.1 [dev]", "flux"),
        ("Adobe Firefly", "firefly"),
        ("Stable Diffusion XL", "stable_diffusion"),
        ("InvokeAI 4.2", "invokeai"),
    ],
)
def test_tool_when_exif_software_names_a_generator(software: str, tool: str) -> None:
    exif = Image.Exif()
    exif[0x0131] = software
    assert_ai(detect(jpeg(exif=exif)), tool, "exif:Software")


@pytest.mark.parametrize("software", ["Adobe Photoshop 25.0 (Windows)", "GIMP 2.10", "darktable"])
def test_abstains_when_exif_software_is_an_ordinary_editor(software: str) -> None:
    exif = Image.Exif()
    exif[0x0131] = software
    assert detect(jpeg(exif=exif)).abstain_reason == NO_METADATA


def test_grok_when_uuid_artist_and_signature_description() -> None:
    exif = Image.Exif()
    exif[0x013B] = "3f2b8c1e-1234-4abc-9def-0123456789ab"
    exif[0x010E] = "Signature: " + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" * 2
    assert_ai(detect(jpeg(exif=exif)), "grok", "exif:ImageDescription")


def test_abstains_when_no_metadata_and_never_claims_authentic() -> None:
    result = detect(jpeg())
    assert result.abstain_reason == NO_METADATA
    assert result.evidence == {"markers": [], "tools": []}


def test_abstains_when_kind_is_not_image() -> None:
    result = detect(png({"parameters": A1111}), kind=MediaKind.VIDEO)
    assert result.abstained
    assert "video" in (result.abstain_reason or "")
