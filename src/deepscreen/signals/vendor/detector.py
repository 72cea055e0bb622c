"""The ``vendor`` detector: an external detection API reached over HTTP, its JSON answer mapped to
a score with JMESPath; failures abstain and feed the circuit breaker (docs/internals/signals.md)."""

from __future__ import annotations

import json
import math
import posixpath
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from jmespath.exceptions import JMESPathError
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from deepscreen.core.errors import ConfigError
from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.signals.vendor.breaker import CircuitBreaker, Clock
from deepscreen.signals.vendor.config import MAX_BACKOFF_S, VendorConfig
from deepscreen.signals.vendor.examples import image_example, video_example
from deepscreen.signals.vendor.response import (
    CallFailed,
    bounded,
    bounded_text,
    json_type,
    read_limited,
    reject_constant,
)

Sleep = Callable[[float], None]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
"""HTTP statuses worth another attempt (rate limiting, transient server trouble)."""
MAX_REASON_CHARS = 200


class _RetryableStatus(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


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
    with the reason and counts towards the circuit breaker (``breaker.CircuitBreaker``). Evidence:
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
        except CallFailed as exc:
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
                raise CallFailed(f"vendor API returned HTTP {response.status_code}{phrase}"[:120])
            limit = config.max_response_bytes
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise CallFailed(f"vendor response of {int(declared)} bytes exceeds {limit} bytes")
            return read_limited(response.iter_bytes(), limit, deadline, self._clock)

    def _score(
        self,
        body: bytes,
        config: VendorConfig,
        evidence: dict[str, Any],
        finish: Callable[..., SignalResult],
        content_type: str,
    ) -> SignalResult:
        try:
            data = json.loads(body, parse_constant=reject_constant)
        except (ValueError, RecursionError) as exc:
            what = f"{len(body)} bytes of {content_type or 'unlabelled content'}"
            return finish(
                f"vendor response is not valid JSON ({what}; {type(exc).__name__}: {exc})"
            )
        try:
            value = config.expression.search(data)
        except JMESPathError as exc:  # e.g. a function applied to the wrong type
            return finish(f"score expression {config.score!r} failed on the response: {exc}")
        evidence["raw_value"] = bounded(value, self._redact)
        if value is None:
            return finish(f"no value at {config.score!r} in the vendor response")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return finish(
                f"value at {config.score!r} is {json_type(value)}, not a number: "
                f"{bounded_text(value, self._redact)}"
            )
        try:
            scaled = float(value) / config.scale
        except OverflowError:
            scaled = math.inf
        if not 0.0 <= scaled <= 1.0:  # also rejects NaN
            shown = f"{scaled:g}"
            if config.scale != 1:
                shown = f"{bounded_text(value, self._redact)} / scale {config.scale:g} = {shown}"
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
        return [image_example("PNG"), image_example("JPEG"), video_example()]


def _filename(source: str) -> str:
    """The basename of the item's source (path or URL), without query or fragment."""
    path = source.replace("\\", "/").split("?", 1)[0].split("#", 1)[0]
    return posixpath.basename(path)[:200] or "media"


def _tries(call: _Call) -> str:
    return f"{call.attempts} attempt{'s' if call.attempts != 1 else ''}"
