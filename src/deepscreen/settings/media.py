"""Media settings: what a scan accepts (``[media]``) and the copies kept for reviewers
(``[media_store]``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


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
