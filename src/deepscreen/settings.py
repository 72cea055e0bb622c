"""One validated settings model: ``deepscreen.toml`` (or ``--config``) plus ``DEEPSCREEN_*`` env."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from deepscreen.compliance.codes import (
    DECISION_GROUNDS,
    EU_COUNTRY_CODES,
    SOURCE_TYPES,
    STATEMENT_CATEGORIES,
)
from deepscreen.compliance.sor import DEFAULT_INCOMPATIBLE_EXPLANATION, SorConfig
from deepscreen.core.errors import ConfigError

DEFAULT_CONFIG_FILE = "deepscreen.toml"


class MediaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_bytes: int = Field(50 * 1024 * 1024, gt=0, description="Largest file accepted, bytes.")
    max_pixels: int = Field(40_000_000, gt=0, description="Largest width×height accepted.")
    max_png_chunks: int = Field(
        1024, gt=0, description="Most PNG chunks besides image data (text, metadata) accepted."
    )
    item_budget_s: float = Field(
        120.0,
        ge=0,
        le=86_400,
        description="Seconds an item's detectors and policy may take before it is abandoned "
        "(processing_timeout, nothing recorded); 0: no budget.",
    )


class CostSettings(BaseModel):
    """Cost inputs. No defaults: every figure that uses them names where they came from.

    Every field carries a description and a ``unit`` (``{currency}`` stands for the currency):
    ``deepscreen costs init`` writes its commented settings file from them.
    """

    model_config = ConfigDict(extra="forbid")
    currency: str = Field(
        "USD",
        description="Currency every cost below is in (a code, e.g. USD or EUR).",
        json_schema_extra={"unit": "currency code"},
    )
    review_cost_per_item: float | None = Field(
        None,
        ge=0,
        description="One human review.",
        json_schema_extra={"unit": "{currency} per reviewed item"},
    )
    reviewer_cost_per_hour: float | None = Field(
        None,
        ge=0,
        description="Alternative to review_cost_per_item, with review_minutes_per_item.",
        json_schema_extra={"unit": "{currency} per reviewer hour"},
    )
    review_minutes_per_item: float | None = Field(
        None,
        gt=0,
        description="Handling time of one review (reviewer hours, capacity).",
        json_schema_extra={"unit": "minutes"},
    )
    monthly_volume: int | None = Field(
        None,
        ge=0,
        description="Uploads per month.",
        json_schema_extra={"unit": "uploads per month"},
    )
    wrongful_action_cost: dict[str, float] = Field(
        default_factory=dict,
        description="Cost of one wrongful action, per action type (label, downrank, age_gate, "
        "remove): creator harm, appeal handling, restoration; the key 'default' applies to "
        "actions without one.",
        json_schema_extra={"unit": "{currency} per wrongful action", "keys": "action"},
    )
    harm_per_violating_view: dict[str, float] = Field(
        default_factory=dict,
        description="Harm of one view of violating content, per severity; the key 'default' "
        "applies to segments without a severity.",
        json_schema_extra={"unit": "{currency} per view", "keys": "severity"},
    )
    severity_by_segment: dict[str, str] = Field(
        default_factory=dict,
        description="Severity name per segment (e.g. politics = high).",
        json_schema_extra={
            "unit": "a severity name (a key of harm_per_violating_view)",
            "keys": "segment",
        },
    )
    viral_views_threshold: int | None = Field(
        None,
        gt=0,
        description="Views above which a violating item counts as a viral incident.",
        json_schema_extra={"unit": "views"},
    )
    brand_damage_per_viral_incident: float | None = Field(
        None,
        ge=0,
        description="Damage to the brand of one viral incident (a violating item past "
        "viral_views_threshold that was not actioned before it).",
        json_schema_extra={"unit": "{currency} per incident"},
    )


class BankingSettings(BaseModel):
    """The closed loop: a review confirming one of ``labels`` as violating banks the item's hash."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    bank: str = Field("confirmed_deepfakes", description="Block bank that receives the hashes.")
    labels: list[str] = Field(default_factory=lambda: ["deepfake"])


class TakedownSettings(BaseModel):
    """Takedown requests (``deepscreen notice``, ``POST /v1/notices``; docs/takedown.md): the
    queue their tasks go to (ranked above every review task), the deadline per notice type in
    hours after receipt (each task's SLA), and the block bank a removal banks the item's hashes
    in so that copies are removed at upload (the shipped policy's rule ``remove_takedown_copy``
    names this bank in its parameter ``takedown_bank``: change both together)."""

    model_config = ConfigDict(extra="forbid")
    queue: str = Field("takedown", min_length=1, max_length=63, description="Queue of the tasks.")
    bank: str = Field(
        "takedown",
        pattern=r"^[a-z][a-z0-9_]{0,62}$",
        description="Block bank of removed takedown items (created on first use).",
    )
    bank_threshold: int = Field(
        31, ge=0, le=128, description="PDQ Hamming distance at which a hash matches the bank."
    )
    ncii_deadline_hours: float = Field(
        48.0,
        gt=0,
        le=48,
        description="Non-consensual intimate imagery: the TAKE IT DOWN Act's 48 hours at most.",
    )
    dsa_deadline_hours: float = Field(
        24.0,
        gt=0,
        le=720,
        description="EU DSA notices of illegal content (the DSA sets no fixed time: "
        "'timely'; 24 h is a common target).",
    )
    other_deadline_hours: float = Field(72.0, gt=0, le=720, description="Other notices.")
    sweep_on_resolve: bool = Field(
        True,
        description="Sweep the stored items for copies when a takedown is decided (else only "
        "`deepscreen notice sweep`); each task keeps the value it was opened with.",
    )


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


class ApiSettings(BaseModel):
    """The HTTP service (``deepscreen serve``)."""

    model_config = ConfigDict(extra="forbid")
    host: str = Field("127.0.0.1", description="Address to listen on (loopback by default).")
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(
        1, ge=1, le=64, description="Server processes; each also runs an ingest worker thread."
    )
    max_request_bytes: int = Field(
        52 * 1024 * 1024,
        gt=0,
        description="Largest request body in bytes, multipart overhead included: refused with "
        "413 from its Content-Length, or as soon as the streamed body passes it.",
    )
    auth_cache_ttl_s: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="How long a verified API key is remembered, skipping argon2 (a revoked key "
        "keeps working at most this long in a running server); 0 disables the cache.",
    )
    ingest_lease_s: float = Field(
        300.0,
        gt=0,
        description="How long a claimed ingest job is reserved for one worker; a job whose "
        "worker died is taken up again after it.",
    )
    ingest_poll_s: float = Field(
        1.0, gt=0, le=60, description="How often the ingest worker looks for claimable jobs."
    )
    url_fetch_enabled: bool = Field(
        False, description="Allow POST /v1/scan to fetch media from a `url` (off by default)."
    )
    url_fetch_timeout_s: float = Field(
        10.0,
        gt=0,
        le=120,
        description="One deadline per fetch: waiting for a fetch thread, name resolution, "
        "connect, headers and body of every hop, together.",
    )
    url_fetch_concurrency: int = Field(
        4,
        ge=1,
        le=64,
        description="Fetches running at once, on threads of their own (never the threads that "
        "serve the other endpoints); more wait, within their deadline.",
    )
    url_fetch_max_redirects: int = Field(3, ge=0, le=10)
    url_fetch_allowed_networks: list[str] = Field(
        default_factory=list,
        description="CIDR networks fetched even though private or reserved (an internal media "
        "host, e.g. 10.1.2.0/24); loopback and link-local stay refused unless listed.",
    )


class WellnessSettings(BaseModel):
    """Wellness filters of the reviewer UI (``[review.wellness]``): media of these item
    categories is shown blurred and/or greyscale until the reviewer reveals it (key ``b`` or a
    click); each reviewer may change the defaults for themselves (kept server-side). The filter
    state never reaches the decision (docs/review-media.md)."""

    model_config = ConfigDict(extra="forbid")
    attribute: str = Field(
        "category", min_length=1, description="Item attribute whose value names the category."
    )
    blur_categories: list[str] = Field(
        default_factory=list, description="Categories whose media is blurred by default."
    )
    greyscale_categories: list[str] = Field(
        default_factory=list, description="Categories whose media is shown greyscale by default."
    )
    blur_all: bool = Field(False, description="Blur every item's media by default.")
    greyscale_all: bool = Field(False, description="Show every item's media greyscale by default.")
    allow_opt_out: bool = Field(
        True,
        description="Reviewers may turn a filter off for themselves (they may always turn one "
        "on for every item).",
    )


class ReviewSettings(BaseModel):
    """The review queue (``deepscreen review``) and appeals (``deepscreen appeal``).

    Tasks are ranked by expected harm averted per review minute, ``p × severity weight ×
    predicted views ÷ handling minutes`` (docs/metrics.md, 'Review priority and reviewer quality').
    The weights, views and minutes below are placeholders: replace them with your platform's
    measured values.
    """

    model_config = ConfigDict(extra="forbid")
    lease_seconds: float = Field(
        900.0,
        gt=0,
        le=86_400,
        description="How long a claimed task stays with its reviewer without renewal; after "
        "that anyone may claim it (and the first reviewer can no longer decide it).",
    )
    sla_hours: dict[str, PositiveFloat] = Field(
        default_factory=dict,
        description="Deadline per queue, in hours after the decision (appeals: after receipt), "
        "e.g. {provenance = 12, appeals = 72}; other queues use default_sla_hours.",
    )
    default_sla_hours: float = Field(
        24.0, gt=0, description="Deadline of queues not in sla_hours (the DSA-relevant 24 h)."
    )
    default_queue: str = Field(
        "review", min_length=1, description="Queue of a review decision whose rule names none."
    )
    appeals_queue: str = Field("appeals", min_length=1, description="Queue of appeal tasks.")
    gold_queue: str = Field("gold", min_length=1, description="Queue of gold tasks.")
    gold_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Share of claims (0..1) served an already-labelled item, its answer "
        "hidden, to measure reviewer accuracy; 0 turns gold items off.",
    )
    reason_codes: list[str] = Field(
        default_factory=lambda: [
            "ai_generated_undisclosed",
            "deepfake_of_real_person",
            "manipulated_media",
            "disclosed_ai",
            "authentic_media",
            "satire_or_art",
            "insufficient_evidence",
            "new_context_from_appeal",
        ],
        min_length=1,
        description="The reason codes a reviewer must choose from to decide a task or appeal.",
    )
    violating_action: Literal["label", "downrank", "age_gate", "remove"] = Field(
        "remove", description="Action recorded when a reviewer confirms a violation."
    )
    score_signals: list[str] = Field(
        default_factory=lambda: ["ensemble", "learned"],
        description="Signals whose score is the priority's probability p; the first that "
        "scored wins.",
    )
    prior_probability: float = Field(
        0.5, ge=0, le=1, description="p when none of score_signals scored the item."
    )
    segment_attribute: str = Field(
        "category", description="Item attribute whose value selects the severity weight."
    )
    severity_by_segment: dict[str, NonNegativeFloat] = Field(
        default_factory=lambda: {"politics": 3.0, "elections": 3.0, "news": 2.0},
        description="Severity weight per segment (value of segment_attribute).",
    )
    default_severity: float = Field(
        1.0, ge=0, description="Severity weight of segments not in severity_by_segment."
    )
    handling_minutes_by_kind: dict[str, PositiveFloat] = Field(
        default_factory=lambda: {"image": 1.0, "video": 3.0},
        description="Expected review minutes per media kind (measure them: docs/metrics.md).",
    )
    default_handling_minutes: float = Field(
        2.0, gt=0, description="Review minutes of kinds not in handling_minutes_by_kind."
    )
    default_predicted_views: float = Field(
        1000.0, ge=0, description="Predicted views of an item with no ViewsObserved yet."
    )
    pseudonym_secret: SecretStr | None = Field(
        None,
        description="Key of the reviewer pseudonyms in exports (keyed hash); best set through "
        "DEEPSCREEN_REVIEW__PSEUDONYM_SECRET, not in a file. Unset: a random key per process, "
        "so pseudonyms differ between runs.",
    )
    wellness: WellnessSettings = Field(default_factory=lambda: WellnessSettings())


class DsaSettings(BaseModel):
    """Platform values of EU DSA statements of reasons (``deepscreen export dsa-sor``).

    Codes are the Transparency Database's (docs/metrics.md, 'Statements of reasons'). The defaults
    describe a platform that labels or removes undisclosed synthetic media under its own terms, on
    its own initiative, for the 27 EU member states: set the ground text and reference URL to your
    terms' clause.
    """

    model_config = ConfigDict(extra="forbid")
    decision_ground: str = Field(
        "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        description="DECISION_GROUND_INCOMPATIBLE_CONTENT (terms) or ..._ILLEGAL_CONTENT (law).",
    )
    incompatible_content_ground: str = Field(
        "Terms of Service: synthetic and manipulated media", max_length=500
    )
    incompatible_content_explanation: str = Field(DEFAULT_INCOMPATIBLE_EXPLANATION, max_length=2000)
    incompatible_content_illegal: Literal["Yes", "No"] | None = None
    illegal_content_legal_ground: str = Field(
        "", max_length=500, description="Law relied on (with decision_ground ILLEGAL_CONTENT)."
    )
    illegal_content_explanation: str = Field("", max_length=2000)
    decision_ground_reference_url: str | None = Field(
        None, max_length=500, description="URL of the terms' clause or the law relied on."
    )
    category: str = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    category_specification: list[str] = Field(default_factory=lambda: ["KEYWORD_OTHER"])
    category_specification_other: str | None = Field(
        "Undisclosed AI-generated or manipulated media", max_length=500
    )
    territorial_scope: list[str] = Field(
        default_factory=lambda: list(EU_COUNTRY_CODES),
        description="ISO 3166 alpha-2 codes (EEA only) where the restriction applies.",
    )
    content_language: str | None = Field(None, description="Upper-case ISO 639-1, e.g. EN.")
    account_type: Literal["ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"] | None = None
    source_type: str = Field(
        "SOURCE_VOLUNTARY", description="SOURCE_VOLUNTARY: the platform's own detection."
    )
    source_identity: str | None = Field(None, max_length=500)
    puid_prefix: str = Field(
        "", pattern=r"^[a-zA-Z0-9\-_]*$", description="Prepended to decision ids (puids)."
    )
    api_url: str | None = Field(
        None,
        description="Transparency Database base URL for `export dsa-sor --submit` (sandbox or "
        "https://transparency.dsa.ec.europa.eu); unset: no submission.",
    )
    api_token: SecretStr | None = Field(
        None,
        description="API bearer token; set it through DEEPSCREEN_DSA__API_TOKEN, not in a file.",
    )
    service_name: str | None = Field(
        None,
        min_length=1,
        description="Name of the service in transparency reports (`export dsa-transparency`).",
    )
    provider_name: str | None = Field(
        None,
        min_length=1,
        description="Name of the service provider in transparency reports (default: the "
        "service name).",
    )

    @field_validator("decision_ground", "category", "source_type")
    @classmethod
    def _known_code(cls, value: str, info: ValidationInfo) -> str:
        allowed = {
            "decision_ground": DECISION_GROUNDS,
            "category": STATEMENT_CATEGORIES,
            "source_type": SOURCE_TYPES,
        }[str(info.field_name)]
        if value not in allowed:
            raise ValueError(f"{value!r} is not one of {sorted(allowed)}")
        return value

    def sor_config(self) -> SorConfig:
        values = self.model_dump(exclude={"api_url", "api_token", "service_name", "provider_name"})
        values["category_specification"] = tuple(self.category_specification)
        values["territorial_scope"] = tuple(self.territorial_scope)
        return SorConfig(**values)


class MediaStoreSettings(BaseModel):
    """Media retained for reviewers (``[media_store]``, docs/review-media.md): the bytes of
    items sent to review or enforced (by any scan path), kept ``retention_days`` for the
    reviewer UI, purged by ``deepscreen serve`` every ``purge_every_hours``, never exported.
    Off by default."""

    model_config = ConfigDict(extra="forbid")
    backend: str = Field(
        "off",
        min_length=1,
        description='"off" (no media kept), "local" (the directory `path`) or an fsspec URL '
        "(e.g. s3://bucket/prefix; its package must be installed).",
    )
    path: str | None = Field(None, description='Directory of the "local" backend.')
    retention_days: float = Field(
        30.0, gt=0, le=3650, description="Days a copy is kept after the item's decision."
    )
    url_template: str | None = Field(
        None,
        description="Where the platform keeps its media, e.g. https://cdn.example/{item_id}: "
        "fetched (never stored) when a reviewer opens an item no copy is kept of.",
    )
    encryption_key: SecretStr | None = Field(
        None,
        description="Fernet key(s), comma-separated (the first encrypts, each decrypts): set "
        "DEEPSCREEN_MEDIA_STORE__ENCRYPTION_KEY, not a file. Unset: bytes are stored as they are.",
    )
    require_encryption: bool = Field(
        False, description="Refuse to start a media store without an encryption key."
    )
    storage_options: dict[str, Any] = Field(
        default_factory=dict,
        description="Options passed to fsspec (credentials, server-side encryption, ...).",
    )
    purge_every_hours: float = Field(
        1.0,
        ge=0,
        le=168,
        description="How often `deepscreen serve` deletes copies whose retention ended (as "
        "`deepscreen media purge` does), first at start; 0: never (run the command from cron).",
    )

    @field_validator("url_template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None and (
            "{item_id}" not in value or not value.startswith(("https://", "http://"))
        ):
            raise ValueError("must be an http(s) URL containing {item_id}")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DEEPSCREEN_", env_nested_delimiter="__", extra="forbid"
    )

    db_url: str = Field("sqlite:///deepscreen.db", description="SQLAlchemy URL of the event store.")
    policy_dir: str | None = Field(None, description="Policy bundle directory; default: shipped.")
    shadow_policy_dirs: list[str] = Field(
        default_factory=list,
        description="Candidate policy bundles decided in shadow beside the active one: recorded "
        "as shadow decisions, never applied (compare with `impact compare --shadow REVISION`).",
    )
    detectors: list[str] = Field(
        default_factory=lambda: ["c2pa", "hashmatch", "metadata", "watermark", "learned", "faces"],
        description="Enabled detectors, run in this order (cheap ones first: see [cascade]).",
    )
    cascade: CascadeSettings = Field(default_factory=lambda: CascadeSettings())
    media: MediaSettings = Field(default_factory=lambda: MediaSettings())
    costs: CostSettings = Field(default_factory=lambda: CostSettings())
    banking: BankingSettings = Field(default_factory=lambda: BankingSettings())
    takedown: TakedownSettings = Field(default_factory=lambda: TakedownSettings())
    models_dir: str | None = Field(
        None, description="Model cache; default $XDG_CACHE_HOME/deepscreen/models."
    )
    learned: LearnedSettings = Field(default_factory=lambda: LearnedSettings())
    faces: FacesSettings = Field(default_factory=lambda: FacesSettings())
    vendor: VendorSettings = Field(default_factory=lambda: VendorSettings())
    ensemble: EnsembleSettings = Field(default_factory=lambda: EnsembleSettings())
    review: ReviewSettings = Field(default_factory=lambda: ReviewSettings())
    api: ApiSettings = Field(default_factory=lambda: ApiSettings())
    dsa: DsaSettings = Field(default_factory=lambda: DsaSettings())
    media_store: MediaStoreSettings = Field(default_factory=lambda: MediaStoreSettings())

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("toml_file"):
            sources.append(TomlConfigSettingsSource(settings_cls))
        return tuple(sources)


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``config`` (or ``./deepscreen.toml`` if present), env, then ``overrides``.

    Precedence, highest first: explicit overrides (CLI flags), ``DEEPSCREEN_*`` env, the file.
    """
    path = config if config is not None else Path(DEFAULT_CONFIG_FILE)
    if config is not None and not config.is_file():
        raise ConfigError(f"config file {str(config)!r} does not exist")
    config_dict = SettingsConfigDict(**Settings.model_config)
    config_dict["toml_file"] = path if path.is_file() else None
    bound = type("FileSettings", (Settings,), {"model_config": config_dict})
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings.model_validate(bound(**given).model_dump())
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid settings ({path}): {problems}") from exc
    except ValueError as exc:  # TOML syntax errors surface as ValueError subclasses
        raise ConfigError(f"cannot read settings file {str(path)!r}: {exc}") from exc
