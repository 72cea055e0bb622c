"""Generator markers (docs/signals.md, 'Generator metadata'): what raw metadata fields say about the
tool that made an image. Pure functions over text; reading the fields is ``fields``'s job.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from deepscreen.signals.metadata.fields import Field

MAX_VALUE_CHARS = 200
MAX_MARKERS = 64

MarkerKind = Literal["ai", "capture"]

# IPTC / C2PA digital source types (docs/signals.md, 'Content Credentials'). ``algorithmicMedia``
# (procedural, e.g. a gradient) is deliberately absent from AI_SOURCE_TYPES: it is not trained-model
# output.
AI_SOURCE_TYPES = frozenset(
    {
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "trainedAlgorithmicData",
        "compositeSynthetic",
    }
)
CAPTURE_SOURCE_TYPES = frozenset(
    {
        "digitalCapture",
        "computationalCapture",
        "negativeFilm",
        "positiveFilm",
        "print",
        "compositeCapture",
    }
)

_A1111 = re.compile(r"\bSteps: \d+, Sampler: ")
_FOOOCUS_VERSION = re.compile(r"\bVersion: Fooocus\b", re.IGNORECASE)
_DREAM_STEPS = re.compile(r"\s-s\s*\d+\b")
_DREAM_SEED = re.compile(r"\s-S\s*\d+\b")
_FOOOCUS_KEYS = frozenset({"base_model", "full_prompt", "full_negative_prompt", "metadata_scheme"})
_INVOKEAI_JSON_KEYS = frozenset({"invokeai_metadata", "invokeai_graph", "invokeai_workflow"})
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_GROK_SIGNATURE = re.compile(r"^Signature: [A-Za-z0-9+/=]{20,}")

# XMP is matched with regular expressions rather than an XML parser: packets are often malformed,
# and these are bounded. Each property is found by name, then its value is matched right after
# it: at most MAX_XMP_ATTEMPTS names and MAX_XMP_MATCHES values per packet.
MAX_XMP_MATCHES = 32
MAX_XMP_ATTEMPTS = 256
_Q = "[\"']"
_S = r"\s{0,40}"
_XMP_VALUE = re.compile(
    _S + "=" + _S + _Q + r"([^\"'<>]{1,400})" + _Q  # attribute form
    + r"|\s[^<>]{0,400}?rdf:resource" + _S + "=" + _S + _Q + r"([^\"'<>]{1,400})" + _Q
    + r"|(?:\s[^<>]{0,400})?>([^<>]{1,400})<",  # element form
)  # fmt: skip
_TC260_VALUE = re.compile(
    _S + "=" + _S + r"(\"|')(.{1,4000}?)\1|(?:\s[^<>]{0,400})?>([^<>]{1,4000})<", re.DOTALL
)


@dataclass(frozen=True, slots=True)
class _XmpProperty:
    """An XMP property: found by its local name (a fast literal search), then its prefix is
    checked on the few characters before it, and its value matched right after it."""

    local: re.Pattern[str]
    prefix: re.Pattern[str]
    value: re.Pattern[str]

    @classmethod
    def of(cls, local: str, prefixes: str, value: re.Pattern[str]) -> _XmpProperty:
        return cls(
            re.compile(rf":{local}\b", re.IGNORECASE),
            re.compile(rf"(?:^|[^/\w])(?:{prefixes})\Z", re.IGNORECASE),
            value,
        )


_DIGITAL_SOURCE_TYPE = _XmpProperty.of("DigitalSourceType", "Iptc4xmpExt|iptcExt", _XMP_VALUE)
_TC260_AIGC = _XmpProperty.of("AIGC", "TC260", _TC260_VALUE)
_CREATOR_TOOL = _XmpProperty.of("CreatorTool", "xmp", _XMP_VALUE)

# Tool names in Software-like fields, matched case-insensitively (docs/signals.md, 'Generator
# metadata', last row).
_SOFTWARE_TOKENS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), tool)
    for pattern, tool in (
        (r"\bdall(?:[\W_]|Â){0,3}e\b", "dall_e"),  # DALL-E, DALL·E and its mojibake DALLÂ·E
        (r"midjourney", "midjourney"),
        (r"stable[\s_-]?diffusion", "stable_diffusion"),
        (r"comfy[\s_-]?ui", "comfyui"),
        (r"automatic1111|\ba1111\b", "automatic1111"),
        (r"invoke[\s_-]?ai", "invokeai"),
        (r"\bimagen\b", "imagen"),
        (r"gpt[\s_-]?image", "gpt_image"),
        (r"novel[\s_-]?ai", "novelai"),
        (r"\bflux\b", "flux"),
        (r"\bfirefly\b", "firefly"),
        (r"nightcafe", "nightcafe"),
        (r"\bideogram\b", "ideogram"),
        (r"leonardo[\s.]?ai", "leonardo_ai"),
        (r"dreamstudio", "dreamstudio"),
        (r"luma[\s_-]?ai", "luma_ai"),
        (r"\bfooocus\b", "fooocus"),
    )
)


@dataclass(frozen=True, slots=True)
class Marker:
    """One finding: ``kind`` "ai" (a tool or declaration says AI-made) or "capture" (an IPTC
    capture declaration). ``tool`` is None for declarations that do not name a tool."""

    source: str
    kind: MarkerKind
    tool: str | None
    value: str

    def to_evidence(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "tool": self.tool, "value": self.value}


@dataclass
class MarkerScan:
    """Distinct markers found (the first MAX_MARKERS kept, the rest counted in ``omitted``)."""

    markers: list[Marker] = field(default_factory=list)
    omitted: int = 0
    kinds: set[MarkerKind] = field(default_factory=set)
    tools: set[str] = field(default_factory=set)
    digital_source_types: list[str] = field(default_factory=list)
    parse_errors: int = 0
    seen: set[Marker] = field(default_factory=set, repr=False)

    def add(self, source: str, kind: MarkerKind, tool: str | None, value: str) -> None:
        marker = Marker(source, kind, tool, value.strip()[:MAX_VALUE_CHARS])
        if marker in self.seen:
            return
        self.seen.add(marker)
        self.kinds.add(kind)
        if tool is not None:
            self.tools.add(tool)
        if len(self.markers) < MAX_MARKERS:
            self.markers.append(marker)
        else:
            self.omitted += 1

    def parse_json(self, text: str) -> Any:
        """Parse JSON, counting (not raising) malformed input; None when malformed."""
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            self.parse_errors += 1
            return None


def find_markers(fields: Iterable[Field]) -> MarkerScan:
    scan = MarkerScan()
    fields = list(fields)
    for f in fields:
        container, _, key = f.source.partition(":")
        if container == "xmp" or key == "XML:com.adobe.xmp":
            _xmp(f.value, scan)
        elif container == "png_text":
            _png_text(f.source, key, f.value, scan)
        elif container in ("exif", "jpeg"):
            _exif(f.source, key, f.value, scan)
    _grok(fields, scan)
    return scan


def stealth_markers(source: str, payload: str, scan: MarkerScan) -> None:
    """Stealth pnginfo exists only in SD tooling, so any payload is an AI marker."""
    before = len(scan.seen)
    _parameters(source, payload, scan)
    if payload.lstrip().startswith("{"):
        data = scan.parse_json(payload)
        if isinstance(data, dict) and "novelai" in str(data.get("Software", "")).lower():
            scan.add(source, "ai", "novelai", payload)
    if len(scan.seen) == before:
        scan.add(source, "ai", None, payload)


def _png_text(source: str, key: str, value: str, scan: MarkerScan) -> None:
    lowered = key.lower()
    if key == "parameters":
        _parameters(source, value, scan)
        if value.lstrip().startswith("{"):
            data = scan.parse_json(value)
            if isinstance(data, dict) and _FOOOCUS_KEYS & data.keys():
                scan.add(source, "ai", "fooocus", value)
    elif key == "fooocus_scheme" and value.strip().lower() in ("fooocus", "a1111"):
        scan.add(source, "ai", "fooocus", value)
    elif key == "prompt" and value.lstrip().startswith("{"):
        data = scan.parse_json(value)
        if isinstance(data, dict) and any(
            isinstance(node, dict) and "class_type" in node for node in data.values()
        ):
            scan.add(source, "ai", "comfyui", value)
    elif key == "workflow" and value.lstrip().startswith("{"):
        data = scan.parse_json(value)
        if isinstance(data, dict) and isinstance(data.get("nodes"), list):
            scan.add(source, "ai", "comfyui", value)
    elif key in _INVOKEAI_JSON_KEYS or key == "sd-metadata":
        if isinstance(scan.parse_json(value), dict):
            scan.add(source, "ai", "invokeai", value)
    elif key == "Dream" and _DREAM_STEPS.search(value) and _DREAM_SEED.search(value):
        scan.add(source, "ai", "invokeai", value)
    elif lowered in ("software", "source"):
        _software(source, value, scan)
    elif lowered == "title" and value.strip().lower() == "ai generated image":
        scan.add(source, "ai", "novelai", value)
    elif lowered == "description" and "Job ID:" in value:
        scan.add(source, "ai", "midjourney", value)
    elif key == "AIGC":
        _tc260_json(source, value, scan)


def _exif(source: str, key: str, value: str, scan: MarkerScan) -> None:
    if key == "Software":
        _software(source, value, scan)
    elif key in ("UserComment", "ImageDescription", "comment"):
        _parameters(source, value, scan)


def _parameters(source: str, value: str, scan: MarkerScan) -> None:
    """A1111-format generation parameters (also written by Forge, SD.Next and Fooocus)."""
    if _A1111.search(value):
        tool = "fooocus" if _FOOOCUS_VERSION.search(value) else "automatic1111"
        scan.add(source, "ai", tool, value)


def _software(source: str, value: str, scan: MarkerScan) -> None:
    text = value[: MAX_VALUE_CHARS * 5]
    for pattern, tool in _SOFTWARE_TOKENS:
        if pattern.search(text):
            scan.add(source, "ai", tool, value)


def _xmp(packet: str, scan: MarkerScan) -> None:
    for uri in _xmp_values(packet, _DIGITAL_SOURCE_TYPE):
        term = uri.rstrip("/").rsplit("/", 1)[-1][:64]
        if term not in scan.digital_source_types:
            scan.digital_source_types.append(term)
        if term in AI_SOURCE_TYPES:
            scan.add("xmp:DigitalSourceType", "ai", None, uri)
        elif term in CAPTURE_SOURCE_TYPES:
            scan.add("xmp:DigitalSourceType", "capture", None, uri)
    for label in _xmp_values(packet, _TC260_AIGC):
        _tc260_json("xmp:TC260:AIGC", label, scan)
    for tool in _xmp_values(packet, _CREATOR_TOOL):
        _software("xmp:CreatorTool", tool, scan)


def _xmp_values(packet: str, prop: _XmpProperty) -> list[str]:
    """Values of one XMP property (attribute, element or rdf:resource form), XML-unescaped."""
    values: list[str] = []
    for attempt, found in enumerate(prop.local.finditer(packet)):
        if attempt >= MAX_XMP_ATTEMPTS:
            break
        start = found.start()
        if not prop.prefix.search(packet[max(0, start - 16) : start]):
            continue
        match = prop.value.match(packet, found.end())
        if match:
            text = next(g for g in reversed(match.groups()) if g is not None)
            values.append(html.unescape(text).strip())
            if len(values) >= MAX_XMP_MATCHES:
                break
    return values


def _tc260_json(source: str, text: str, scan: MarkerScan) -> None:
    """China TC260 (GB 45438-2025) implicit label: Label "1" is AI-generated; "2" possibly and
    "3" suspected are not declarations, so they are ignored."""
    data = scan.parse_json(text)
    if isinstance(data, dict) and str(data.get("Label", "")).strip() == "1":
        scan.add(source, "ai", None, text)


def _grok(fields: list[Field], scan: MarkerScan) -> None:
    """xAI Grok: EXIF Artist is a UUID and ImageDescription/UserComment is 'Signature: <b64>'."""
    artists = [f.value.strip() for f in fields if f.source == "exif:Artist"]
    if not any(_UUID.match(a) for a in artists):
        return
    for f in fields:
        if f.source in ("exif:ImageDescription", "exif:UserComment"):
            if _GROK_SIGNATURE.match(f.value):
                scan.add(f.source, "ai", "grok", f.value)
