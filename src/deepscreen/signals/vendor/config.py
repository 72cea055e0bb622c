"""How to call one vendor API and read its answer (``VendorConfig``, from the ``[vendor]``
settings), checked when built; the URL shown without credentials or query."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from deepscreen.core.errors import ConfigError

MAX_BACKOFF_S = 60.0
"""No single back-off wait is longer than this, however many retries are configured."""


@dataclass(frozen=True, repr=False)
class VendorConfig:
    """How to call one vendor API and read its answer. Built by bootstrap from ``[vendor]``.

    ``score`` is a JMESPath expression selecting the number in the JSON response; the number is
    divided by ``scale`` (100 for percentages) and, with ``invert``, replaced by ``1 - value``
    (for APIs reporting authenticity). ``api_key`` is the resolved secret (never the name of the
    variable holding it); it is sent as ``api_key_header: api_key_prefix + api_key`` and never
    appears in a repr, evidence or an error message. ``retries`` counts retries after the first
    attempt; ``backoff_s`` is the first wait, doubling each time.
    """

    url: str
    score: str = "score"
    scale: float = 1.0
    invert: bool = False
    file_field: str = "media"
    headers: Mapping[str, str] = field(default_factory=dict)
    api_key: str | None = None
    api_key_header: str = "Authorization"
    api_key_prefix: str = "Bearer "
    timeout_s: float = 10.0
    retries: int = 2
    backoff_s: float = 0.5
    failure_threshold: int = 5
    reset_after_s: float = 60.0
    max_response_bytes: int = 1_000_000
    expression: ParsedResult = field(init=False, compare=False)

    def __post_init__(self) -> None:
        _check_url(self.url)
        try:
            compiled = jmespath.compile(self.score)
        except (JMESPathError, TypeError) as exc:
            raise ConfigError(
                f"vendor score expression {self.score!r} is not valid JMESPath: {exc}"
            ) from exc
        object.__setattr__(self, "expression", compiled)
        headers = dict(self.headers)
        if not all(isinstance(k, str) and k and isinstance(v, str) for k, v in headers.items()):
            raise ConfigError("vendor headers must map non-empty names to string values")
        object.__setattr__(self, "headers", MappingProxyType(headers))
        for label, number in (
            ("scale", self.scale),
            ("timeout_s", self.timeout_s),
            ("reset_after_s", self.reset_after_s),
        ):
            if not isinstance(number, int | float) or not math.isfinite(number) or number <= 0:
                raise ConfigError(f"vendor {label} must be a positive number, got {number!r}")
        if not isinstance(self.backoff_s, int | float) or not 0 <= self.backoff_s <= MAX_BACKOFF_S:
            raise ConfigError(
                f"vendor backoff_s must be between 0 and {MAX_BACKOFF_S:g}, got {self.backoff_s!r}"
            )
        for label, count, least in (
            ("retries", self.retries, 0),
            ("failure_threshold", self.failure_threshold, 1),
            ("max_response_bytes", self.max_response_bytes, 1),
        ):
            if isinstance(count, bool) or not isinstance(count, int) or count < least:
                raise ConfigError(f"vendor {label} must be an integer >= {least}, got {count!r}")
        if not self.file_field:
            raise ConfigError("vendor file_field must not be empty")
        if self.api_key is not None and not self.api_key_header:
            raise ConfigError("vendor api_key_header must not be empty when an api key is set")

    def __repr__(self) -> str:
        """Secrets stay out: the URL without query or credentials, header names only."""
        return (
            f"VendorConfig(endpoint={self.endpoint!r}, score={self.score!r}, scale={self.scale!r}, "
            f"invert={self.invert!r}, file_field={self.file_field!r}, "
            f"headers={sorted(self.headers)!r}, api_key={'set' if self.api_key else 'unset'}, "
            f"timeout_s={self.timeout_s!r}, retries={self.retries!r}, "
            f"failure_threshold={self.failure_threshold!r}, reset_after_s={self.reset_after_s!r})"
        )

    @property
    def endpoint(self) -> str:
        """``scheme://host[:port]/path``: no credentials, no query string (it may hold keys)."""
        return _endpoint_of(self.url)

    @property
    def host(self) -> str:
        """The host (and explicit port) only, for one-line summaries."""
        parts = urlsplit(self.url)
        host = parts.hostname or "?"
        return f"{host}:{parts.port}" if parts.port is not None else host


def _check_url(url: object) -> None:
    if not isinstance(url, str):
        raise ConfigError(f"vendor url must be a string, got {type(url).__name__}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise ConfigError(f"vendor url {_endpoint_of(url)!r} is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"vendor url must be an http:// or https:// URL with a host, got {_endpoint_of(url)!r}"
        )


def _endpoint_of(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "(unparseable url)"
    if not parts.scheme or not parts.netloc:
        return url.split("?", 1)[0][:80]
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return f"{parts.scheme}://{netloc}{parts.path}"
