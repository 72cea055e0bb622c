"""The ``vendor`` detector: an external detection API (Hive, Sightengine, Reality Defender, an
in-house service, ...) reached over HTTP, its JSON answer mapped to a score with JMESPath.

This is the one exception to the rule that detectors do no network I/O (``ports.Detector``):
the whole point of the detector is to ask someone else. It therefore fails soft — every network
or response problem becomes an abstention, never an exception — and it guards the pipeline with
a circuit breaker: a dead or overloaded vendor must not stall every scan. Each call costs at
most about ``timeout_s`` per attempt times ``retries + 1`` attempts (plus the back-off waits),
and once ``failure_threshold`` consecutive calls have failed the circuit opens and calls cost
nothing (they abstain at once) until ``reset_after_s`` has passed and a single trial call
shows whether the vendor has recovered.
"""

from __future__ import annotations

import json
import math
import posixpath
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from types import MappingProxyType
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx
import jmespath
import numpy as np
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from deepscreen.core.errors import ConfigError
from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.core.signals import SignalResult
from deepscreen.signals.examples import encoded_image_item

Clock = Callable[[], float]
Sleep = Callable[[float], None]
BreakerState = Literal["closed", "open", "half_open"]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
"""HTTP statuses worth another attempt (rate limiting, transient server trouble)."""
MAX_BACKOFF_S = 60.0
"""No single back-off wait is longer than this, however many retries are configured."""
MAX_REASON_CHARS = 200
MAX_RAW_CHARS = 80


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


class CircuitBreaker:
    """Consecutive-failure circuit breaker, safe to share between threads.

    ``closed``: calls go through. After ``failure_threshold`` consecutive failed calls it turns
    ``open`` for ``reset_after_s``: ``allow()`` refuses at once. When that time has passed the
    next ``allow()`` turns it ``half_open`` and lets exactly one trial call through (others are
    refused while it runs); ``record_success()`` closes the circuit, ``record_failure()`` opens
    it again for another ``reset_after_s``. Every ``allow()`` that returned True must be
    followed by one ``record_success()`` or ``record_failure()``.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after_s: float = 60.0,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_after_s <= 0:
            raise ConfigError("circuit breaker needs failure_threshold >= 1 and reset_after_s > 0")
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0

    @property
    def state(self) -> BreakerState:
        """The state as of the last transition (open turns half-open on the next ``allow()``)."""
        with self._lock:
            return self._state

    @property
    def failures(self) -> int:
        """Consecutive failed calls so far (reset by a success)."""
        with self._lock:
            return self._failures

    def allow(self) -> bool:
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open" and self._clock() - self._opened_at >= self.reset_after_s:
                self._state = "half_open"  # this caller makes the one trial call
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._state = "closed"
            self._failures = 0

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or self._failures >= self.failure_threshold:
                self._state = "open"
                self._opened_at = self._clock()

    def retry_after(self) -> float:
        """Seconds until an open circuit lets a trial call through; 0 when not open."""
        with self._lock:
            if self._state != "open":
                return 0.0
            return max(0.0, self.reset_after_s - (self._clock() - self._opened_at))


class _RetryableStatus(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class _Failure(Exception):
    """A response problem that ends the call (no retry): becomes the abstain reason."""


@dataclass
class _Call:
    attempts: int = 0
    status: int | None = None
    content_type: str = ""


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, httpx.TransportError | _RetryableStatus)


class VendorDetector:
    """Sends the media to an external detection API and reads its AI score from the JSON reply.

    Score: the vendor's probability that the media is AI-generated or manipulated, mapped to
    [0, 1] by ``scale`` and ``invert``. It is the vendor's statistical estimate, not proof, and
    its calibration is the vendor's: check it on your own data before trusting thresholds.

    The request is a multipart POST of ``item.data`` under ``file_field`` (file name: the
    basename of ``item.source``), with the static ``headers`` and the API key header. Transport
    errors (including timeouts) and HTTP 429/500/502/503/504 are retried with exponential
    back-off; other statuses are not. Any failure — timeout, connection error, HTTP error,
    oversized or invalid JSON response, a missing, non-numeric or out-of-range value — abstains
    with the reason and counts towards the circuit breaker (see the module docstring). Evidence:
    ``endpoint`` (no query string, no key), ``raw_value``, ``attempts``, ``latency_ms``,
    ``http_status`` and, with a score, a one-line ``summary``.

    Unlike every other detector, ``detect`` does network I/O and is only as deterministic as
    the vendor; ``latency_ms`` is measured with the injected ``clock``.
    """

    name: ClassVar[str] = "vendor"
    version: ClassVar[str] = "1"
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset({MediaKind.IMAGE, MediaKind.VIDEO})

    def __init__(
        self,
        config: VendorConfig | None = None,
        *,
        client: httpx.Client | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.config = config
        self._client = client
        self._owns_client = False
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.breaker = (
            CircuitBreaker(config.failure_threshold, config.reset_after_s, clock=clock)
            if config is not None
            else None
        )

    def load(self) -> None:
        """Check the configuration and open the HTTP connection pool (idempotent)."""
        if self.config is None:
            raise ConfigError(
                "vendor detector needs a [vendor] url (and usually api_key_env) in the settings"
            )
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.config.timeout_s)
                self._owns_client = True

    def close(self) -> None:
        """Close the connection pool if this detector created it (an injected client is the
        caller's to close)."""
        with self._lock:
            if self._client is not None and self._owns_client:
                self._client.close()
                self._client = None
                self._owns_client = False

    def detect(self, item: MediaItem) -> SignalResult:
        if self._client is None or self.config is None:
            self.load()
        config, breaker = self.config, self.breaker
        assert config is not None and breaker is not None
        if item.kind not in self.media_kinds:
            return self._abstain(f"unsupported media kind {item.kind.value!r}", {})
        if not breaker.allow():
            failures = breaker.failures
            base = {"endpoint": config.endpoint, "circuit": breaker.state}
            if breaker.state == "half_open":
                reason = (
                    f"circuit half-open after {failures} consecutive failures; "
                    "a trial call is in flight"
                )
                return self._abstain(reason, base)
            wait = breaker.retry_after()
            reason = f"circuit open after {failures} consecutive failures; next try in {wait:.0f} s"
            return self._abstain(reason, {**base, "retry_after_s": round(wait, 1)})
        try:
            result = self._call(item, config)
        except BaseException:
            breaker.record_failure()  # a bug: release a half-open trial before propagating
            raise
        if result.abstained:
            breaker.record_failure()
        else:
            breaker.record_success()
        return result

    def _call(self, item: MediaItem, config: VendorConfig) -> SignalResult:
        call = _Call()
        started = self._clock()
        evidence: dict[str, Any] = {"endpoint": config.endpoint, "raw_value": None}

        def finish(reason: str | None, score: float | None = None) -> SignalResult:
            evidence["attempts"] = call.attempts
            evidence["latency_ms"] = round((self._clock() - started) * 1000, 1)
            evidence["http_status"] = call.status
            if reason is not None:
                return self._abstain(reason, evidence)
            assert score is not None
            evidence["summary"] = f"vendor API {config.host[:80]}: AI score {score:.2f}"
            return SignalResult.scored(self.name, self.version, score, evidence)

        retrying = Retrying(
            stop=stop_after_attempt(config.retries + 1),
            wait=wait_exponential(multiplier=config.backoff_s, max=MAX_BACKOFF_S),
            retry=retry_if_exception(_retryable),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            body = retrying(self._attempt, item, config, call)
        except _RetryableStatus as exc:
            return finish(f"vendor API returned HTTP {exc.status} after {_tries(call)}")
        except httpx.TimeoutException as exc:
            kind = type(exc).__name__
            return finish(
                f"vendor API timed out ({kind}, limit {config.timeout_s:g} s) after {_tries(call)}"
            )
        except httpx.TransportError as exc:
            detail = f"{type(exc).__name__}: {exc}"
            return finish(f"vendor API unreachable after {_tries(call)} ({detail})")
        except httpx.HTTPError as exc:
            return finish(f"vendor API request failed ({type(exc).__name__}: {exc})")
        except _Failure as exc:
            return finish(str(exc))
        return self._score(body, config, evidence, finish, call.content_type)

    def _attempt(self, item: MediaItem, config: VendorConfig, call: _Call) -> bytes:
        call.attempts += 1
        call.status = None
        assert self._client is not None
        headers = dict(config.headers)
        if config.api_key is not None:
            headers[config.api_key_header] = config.api_key_prefix + config.api_key
        files = {config.file_field: (_filename(item.source), item.data, item.mime)}
        deadline = self._clock() + config.timeout_s
        with self._client.stream(
            "POST", config.url, files=files, headers=headers, timeout=config.timeout_s
        ) as response:
            call.status = response.status_code
            call.content_type = response.headers.get("Content-Type", "")[:60]
            if response.status_code in RETRYABLE_STATUSES:
                raise _RetryableStatus(response.status_code)
            if not response.is_success:
                phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
                raise _Failure(f"vendor API returned HTTP {response.status_code}{phrase}"[:120])
            limit = config.max_response_bytes
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _Failure(f"vendor response of {int(declared)} bytes exceeds {limit} bytes")
            return _read_limited(response.iter_bytes(), limit, deadline, self._clock)

    def _score(
        self,
        body: bytes,
        config: VendorConfig,
        evidence: dict[str, Any],
        finish: Callable[..., SignalResult],
        content_type: str,
    ) -> SignalResult:
        try:
            data = json.loads(body, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            what = f"{len(body)} bytes of {content_type or 'unlabelled content'}"
            return finish(
                f"vendor response is not valid JSON ({what}; {type(exc).__name__}: {exc})"
            )
        try:
            value = config.expression.search(data)
        except JMESPathError as exc:  # e.g. a function applied to the wrong type
            return finish(f"score expression {config.score!r} failed on the response: {exc}")
        evidence["raw_value"] = _bounded(value, self._redact)
        if value is None:
            return finish(f"no value at {config.score!r} in the vendor response")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return finish(
                f"value at {config.score!r} is {_json_type(value)}, not a number: "
                f"{_bounded_text(value, self._redact)}"
            )
        try:
            scaled = float(value) / config.scale
        except OverflowError:
            scaled = math.inf
        if not 0.0 <= scaled <= 1.0:  # also rejects NaN
            shown = f"{scaled:g}"
            if config.scale != 1:
                shown = f"{_bounded_text(value, self._redact)} / scale {config.scale:g} = {shown}"
            return finish(f"value at {config.score!r} is outside [0, 1]: {shown}")
        return finish(None, 1.0 - scaled if config.invert else scaled)

    def _abstain(self, reason: str, evidence: Mapping[str, Any]) -> SignalResult:
        return SignalResult.abstain(
            self.name, self.version, self._redact(reason)[:MAX_REASON_CHARS], evidence
        )

    def _redact(self, text: str) -> str:
        """Remove the API key and the full URL (its query may hold credentials) from text."""
        if self.config is None:
            return text
        if self.config.url:
            text = text.replace(self.config.url, self.config.endpoint)
        if self.config.api_key:
            text = text.replace(self.config.api_key, "***")
        return text

    def get_examples(self) -> list[MediaItem]:
        """In-memory 64×64 PNG and JPEG images and a two-frame 64×64 MP4. What they yield
        depends on the configured vendor."""
        return [_image_example("PNG"), _image_example("JPEG"), _video_example()]


def _read_limited(chunks: Iterator[bytes], limit: int, deadline: float, clock: Clock) -> bytes:
    """The body, refusing more than ``limit`` bytes and a body still dripping at ``deadline``
    (httpx's timeout applies per read, so a slow drip could otherwise last for ever)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) > limit:
            raise _Failure(f"vendor response exceeds {limit} bytes")
        if clock() > deadline:
            raise httpx.ReadTimeout("response body not complete within the timeout")
    return bytes(buffer)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _filename(source: str) -> str:
    """The basename of the item's source (path or URL), without query or fragment."""
    path = source.replace("\\", "/").split("?", 1)[0].split("#", 1)[0]
    return posixpath.basename(path)[:200] or "media"


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


def _tries(call: _Call) -> str:
    return f"{call.attempts} attempt{'s' if call.attempts != 1 else ''}"


def _json_type(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", dict: "an object", list: "an array"}
    return names.get(type(value), type(value).__name__)


def _bounded(value: Any, redact: Callable[[str], str]) -> Any:
    """A JSON-safe, bounded, redacted copy of the selected value for evidence."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else _bounded_text(value, redact)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _truncate(redact(value))
    return _bounded_text(value, redact)


def _bounded_text(value: Any, redact: Callable[[str], str]) -> str:
    """Short text for ``value``; redacted before truncation, so no part of a secret shows."""
    text = json.dumps(value, default=str) if not isinstance(value, float) else repr(value)
    return _truncate(redact(text))


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_RAW_CHARS else text[: MAX_RAW_CHARS - 1] + "…"


def _image_example(fmt: str) -> MediaItem:
    y, x = np.mgrid[0:64, 0:64]
    rgb = np.stack([x * 4, y * 4, (x * y) % 256], axis=-1).astype(np.uint8)
    return encoded_image_item(rgb, fmt, **({"quality": 90} if fmt == "JPEG" else {}))


def _video_example() -> MediaItem:
    import av  # only the examples need PyAV

    buffer = BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=2)
        stream.width, stream.height = 64, 64
        stream.pix_fmt = "yuv420p"
        for shade in (60, 180):
            pixels = np.full((64, 64, 3), shade, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    data = buffer.getvalue()
    return MediaItem(
        content_item_id(data), MediaKind.VIDEO, "video/mp4", 64, 64, data, "example.mp4"
    )
