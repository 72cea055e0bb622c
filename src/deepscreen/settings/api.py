"""API server settings (``[api]``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
