"""Generator-metadata detector: 1.0 when the file's own metadata says an AI tool made it, 0.0 when
the only finding is an IPTC capture declaration, otherwise it abstains (absence is not
authenticity). Metadata is unsigned and forgeable: this is evidence, not proof."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any, ClassVar

from PIL import Image, PngImagePlugin

from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.core.signals import SignalResult
from deepscreen.signals.metadata.fields import PNG_SIGNATURE, read_fields
from deepscreen.signals.metadata.markers import MarkerScan, find_markers, stealth_markers
from deepscreen.signals.metadata.stealth import read_stealth_text

MAX_EVIDENCE_MARKERS = 16
NO_METADATA = "no generator metadata found"


class MetadataDetector:
    """Reads generator metadata (docs/signals.md, 'Generator metadata') from ``item.data`` without
    decoding pixels.

    Sources: PNG tEXt/zTXt/iTXt (A1111/Forge ``parameters``, ComfyUI ``prompt``/``workflow``,
    Fooocus, InvokeAI, NovelAI, Midjourney), EXIF Software/UserComment/ImageDescription, XMP
    (IPTC ``DigitalSourceType``, China TC260 ``AIGC``, ``CreatorTool``) and, for PNGs with alpha
    and nothing else found, A1111/NovelAI stealth pnginfo (the only pixel read, bounded).

    Score: 1.0 when any AI-generation marker is found (the item declares itself AI-made); 0.0
    when the only finding is an IPTC capture declaration (``digitalCapture`` and the like);
    otherwise abstain with "no generator metadata found". ``algorithmicMedia`` is procedural,
    not AI. Evidence: ``markers`` (source, kind, tool, value ≤ 200 chars; at most 16),
    ``tools`` (sorted), and when present ``digital_source_type``, ``parse_errors``.
    """

    name: ClassVar[str] = "metadata"
    version: ClassVar[str] = "1"
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset({MediaKind.IMAGE})

    def load(self) -> None:
        """Nothing to load: the detector is pure parsing."""

    def detect(self, item: MediaItem) -> SignalResult:
        if item.kind not in self.media_kinds:
            return SignalResult.abstain(
                self.name, self.version, f"unsupported media kind {item.kind.value!r}"
            )
        fields = read_fields(item.data)
        scan = find_markers(fields.fields)
        scan.parse_errors += fields.parse_errors
        if "ai" not in scan.kinds and item.data.startswith(PNG_SIGNATURE):
            stealth = read_stealth_text(item.data)
            if stealth is not None and stealth.text is None:
                scan.parse_errors += 1
            elif stealth is not None and stealth.text is not None:
                stealth_markers(f"png_alpha:{stealth.magic}", stealth.text, scan)
        evidence = _evidence(scan)
        if "ai" in scan.kinds:
            return SignalResult.scored(self.name, self.version, 1.0, evidence)
        if "capture" in scan.kinds:
            return SignalResult.scored(self.name, self.version, 0.0, evidence)
        return SignalResult.abstain(self.name, self.version, NO_METADATA, evidence)

    def get_examples(self) -> list[MediaItem]:
        """Small in-memory images: A1111 PNG, ComfyUI PNG, IPTC-AI JPEG, IPTC-capture JPEG and
        a plain JPEG (abstains)."""
        a1111 = (
            "a duck\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1"
        )
        comfy = {"3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20}}}
        return [
            _png_item({"parameters": a1111}, (200, 40, 40)),
            _png_item({"prompt": json.dumps(comfy)}, (40, 200, 40)),
            _jpeg_item(_iptc_xmp("trainedAlgorithmicMedia"), (40, 40, 200)),
            _jpeg_item(_iptc_xmp("digitalCapture"), (120, 120, 40)),
            _jpeg_item(None, (128, 128, 128)),
        ]


def _evidence(scan: MarkerScan) -> dict[str, Any]:
    markers = sorted(scan.markers, key=lambda m: m.kind != "ai")  # AI findings first
    evidence: dict[str, Any] = {
        "markers": [m.to_evidence() for m in markers[:MAX_EVIDENCE_MARKERS]],
        "tools": sorted(scan.tools),
    }
    omitted = max(0, len(markers) - MAX_EVIDENCE_MARKERS) + scan.omitted
    if omitted:
        evidence["markers_omitted"] = omitted
    if scan.digital_source_types:
        evidence["digital_source_type"] = _main_source_type(scan)
    if scan.parse_errors:
        evidence["parse_errors"] = scan.parse_errors
    if markers:
        evidence["summary"] = _summary(evidence["markers"])
    return evidence


def _summary(markers: list[dict[str, Any]]) -> str:
    """One line for a reviewer: which generator, and the field that declared it."""
    parts = []
    for m in markers[:3]:
        who = m.get("tool") or ("declared capture" if m.get("kind") == "capture" else "AI")
        if m.get("source") == "xmp:DigitalSourceType":
            term = str(m.get("value", "")).rstrip("/").rsplit("/", 1)[-1]
            who = f"IPTC {'capture' if m.get('kind') == 'capture' else 'AI'} declaration {term}"
        parts.append(f"{who} ({m.get('source')})")
    more = f" +{len(markers) - 3} more" if len(markers) > 3 else ""
    return "; ".join(parts) + more


def _main_source_type(scan: MarkerScan) -> str:
    """The AI declaration if there is one, else a capture declaration, else the first seen."""
    for marker in sorted(scan.markers, key=lambda m: m.kind != "ai"):
        if marker.source == "xmp:DigitalSourceType":
            return marker.value.rstrip("/").rsplit("/", 1)[-1]
    return scan.digital_source_types[0]


def _iptc_xmp(source_type: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
        f'{source_type}"/></rdf:RDF></x:xmpmeta>'
    ).encode()


def _png_item(text: dict[str, str], colour: tuple[int, int, int]) -> MediaItem:
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    image = Image.new("RGB", (16, 16), colour)
    buffer = BytesIO()
    image.save(buffer, "PNG", pnginfo=info)
    return _item(buffer.getvalue(), "image/png", image)


def _jpeg_item(xmp: bytes | None, colour: tuple[int, int, int]) -> MediaItem:
    image = Image.new("RGB", (16, 16), colour)
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=90, **({"xmp": xmp} if xmp else {}))
    return _item(buffer.getvalue(), "image/jpeg", image)


def _item(data: bytes, mime: str, image: Image.Image) -> MediaItem:
    return MediaItem(
        item_id=content_item_id(data),
        kind=MediaKind.IMAGE,
        mime=mime,
        width=image.width,
        height=image.height,
        data=data,
        source="example",
        pixels=image,
    )
