"""Detector settings: the learned and face detectors, the cascade, the vendor adapter and the
ensemble (``[learned]``, ``[faces]``, ``[cascade]``, ``[vendor]``, ``[ensemble]``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LearnedSettings(BaseModel):
    """The ``learned`` detector: a head from ``deepscreen train`` (default: the shipped AI-image
    head on CLIP ViT-B/16) and, for an ``onnx`` head, the model config (TOML) of its backbone."""

    model_config = ConfigDict(extra="forbid")
    head: str | None = Field(
        None,
        description="Head file (JSON) written by deepscreen train; default: the shipped "
        "AI-image head (docs/default-detector.md), which needs `deepscreen models fetch "
        "clip-vit-b16`.",
    )
    model: str | None = Field(
        None, description="ONNX model config (TOML); default: the one recorded in the head."
    )
    threads: int = Field(1, ge=1, le=64, description="onnxruntime intra-op threads.")
    max_video_frames: int = Field(
        8, ge=1, le=120, description="Video frames the head scores at most (bounded work)."
    )
    video_every_s: float = Field(2.0, gt=0, le=600, description="Seconds between sampled frames.")
    video_top_k: int = Field(
        3, ge=1, le=120, description="A video's score: the mean of its k highest frame scores."
    )


class FacesSettings(BaseModel):
    """The ``faces`` detector: face boxes for every image and sampled video frame (BlazeFace,
    `deepscreen models fetch blazeface-full-range`), scored only by a face head you train
    (`deepscreen train --crop faces`): deepscreen ships none (docs/faces.md)."""

    model_config = ConfigDict(extra="forbid")
    head: str | None = Field(
        None,
        description="Face head (JSON) from `deepscreen train --crop faces`; none: faces "
        "are found and reported, not scored.",
    )
    model: str | None = Field(
        None, description="The face head's ONNX model config (TOML); default: recorded in it."
    )
    threads: int = Field(1, ge=1, le=64, description="Threads for the face finder and backbone.")
    min_confidence: float = Field(
        0.5, gt=0.0, lt=1.0, description="Face finder confidence floor (a face head's own wins)."
    )
    max_faces: int = Field(8, ge=1, le=64, description="Faces kept per image or frame at most.")
    max_video_frames: int = Field(
        8, ge=1, le=120, description="Video frames searched for faces at most (bounded work)."
    )
    video_every_s: float = Field(2.0, gt=0, le=600, description="Seconds between sampled frames.")
    video_top_k: int = Field(
        3, ge=1, le=120, description="A video's score: the mean of its k highest frame scores."
    )


class CascadeSettings(BaseModel):
    """Expensive detectors run only when cheap ones have not settled the item (a block-bank
    match, declared AI, a declared camera capture with an intact binding)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(
        True, description="false: run every detector on every item (for evaluation)."
    )
    expensive: list[str] = Field(
        default_factory=lambda: ["learned", "faces", "vendor"],
        description="Detectors skipped (abstaining 'settled by <detector>') on settled items.",
    )
    settle_min_score: float = Field(
        0.9, ge=0.0, le=1.0, description="A declaring detector's score that settles an item."
    )
    expensive_share: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="Share of unsettled items the expensive detectors score (by item-id hash); "
        "the rest abstain 'not sampled'. 1 = all.",
    )


class VendorSettings(BaseModel):
    """The ``vendor`` detector: an external detection API, mapped to a score."""

    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, description="Endpoint receiving the media (multipart POST).")
    score: str = Field(
        "score", description="JMESPath expression selecting the AI score in the JSON response."
    )
    scale: float = Field(1.0, gt=0, description="Divide the selected value by this (100 for %).")
    invert: bool = Field(False, description="The selected value measures authenticity.")
    file_field: str = Field("media", description="Multipart field name of the media.")
    headers: dict[str, str] = Field(default_factory=dict, description="Static request headers.")
    api_key_env: str | None = Field(
        None, description="Environment variable holding the API key (never the key itself)."
    )
    api_key_header: str = "Authorization"
    api_key_prefix: str = "Bearer "
    timeout_s: float = Field(10.0, gt=0, le=300)
    retries: int = Field(2, ge=0, le=10, description="Retries after the first attempt.")
    backoff_s: float = Field(0.5, ge=0, le=60, description="First retry wait; doubles each time.")
    failure_threshold: int = Field(
        5, ge=1, description="Consecutive failed calls that open the circuit breaker."
    )
    reset_after_s: float = Field(
        60.0, gt=0, description="How long the open circuit short-circuits calls."
    )
    max_response_bytes: int = Field(
        1_000_000, gt=0, description="Larger responses are refused (the detector abstains)."
    )


class EnsembleSettings(BaseModel):
    """One combined score, ``signals.ensemble``, with an explicit inconclusive band."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    method: Literal["vote", "stacked"] = "vote"
    trust: dict[str, float] = Field(
        default_factory=dict,
        description="Per-detector weight for the vote (statistical detectors; default 1).",
    )
    stack: str | None = Field(
        None, description="Stacked model (JSON) from deepscreen train --stack."
    )
    inconclusive: tuple[float, float] = Field(
        (0.35, 0.65), description="Scores inside [low, high] are 'inconclusive'."
    )
    provenance: list[str] = Field(
        default_factory=lambda: ["c2pa", "metadata", "watermark", "hashmatch"],
        description="Detectors whose declared provenance overrides the statistical score.",
    )
