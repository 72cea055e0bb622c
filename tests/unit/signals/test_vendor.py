"""VendorDetector against a real local HTTP server: response mapping, retries, timeouts, the
circuit breaker, abstentions, configuration errors, secrecy of the API key and conformance.

Nothing here reaches the internet, and only the timeout test waits for real (a fraction of a
second): back-off waits go to a recording fake ``sleep``.
"""

from __future__ import annotations

import atexit
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any

import httpx
import pytest
from PIL import Image

from deepscreen.core.errors import ConfigError
from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.signals import testing
from deepscreen.signals.testing import parametrize_with_checks
from deepscreen.signals.vendor.breaker import CircuitBreaker
from deepscreen.signals.vendor.config import VendorConfig
from deepscreen.signals.vendor.detector import VendorDetector

HIVE_EXPRESSION = "status[0].response.output[0].classes[?class=='ai_generated'].score | [0]"
HIVE_RESPONSE = {
    "status": [
        {
            "response": {
                "output": [
                    {
                        "classes": [
                            {"class": "ai_generated", "score": 0.97},
                            {"class": "not_ai_generated", "score": 0.03},
                        ]
                    }
                ]
            }
        }
    ]
}
SECRET = "sk-live-7Q2xS3CR3T"


# --- a fake vendor API ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"
    delay_s: float = 0.0
    content_length: bool = True  # False: no Content-Length, the body ends when the socket closes


def json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(payload).encode())


Part = tuple[str | None, str | None, bytes]
"""A multipart part: (filename, content type, data)."""


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    files: dict[str, Part]


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    fake: FakeVendor

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received = Received(
            self.path,
            {name.lower(): value for name, value in self.headers.items()},
            parse_multipart(self.headers.get("Content-Type", ""), body),
        )
        fake = self.server.fake
        reply = fake.reply_to(received)
        if reply.delay_s and fake.stopping.wait(reply.delay_s):
            return  # the test is over: do not answer
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        if reply.content_length:
            self.send_header("Content-Length", str(len(reply.body)))
        if 300 <= reply.status < 400:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class FakeVendor:
    """A ThreadingHTTPServer on 127.0.0.1 answering from a script (the last reply repeats) or a
    responder function, and recording every request."""

    def __init__(self, responder: Callable[[Received], Reply] | None = None) -> None:
        self.responder = responder
        self.received: list[Received] = []
        self.stopping = threading.Event()
        self._replies = [json_reply({"score": 0.5})]
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/detect"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies = list(replies)

    def reply_to(self, received: Received) -> Reply:
        with self._lock:
            self.received.append(received)
            if self.responder is not None:
                return self.responder(received)
            return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    def stop(self) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def parse_multipart(content_type: str, body: bytes) -> dict[str, Part]:
    """The parts of a multipart/form-data body, byte-exact."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/form-data") or match is None:
        return {}
    parts: dict[str, Part] = {}
    for chunk in body.split(b"--" + match.group(1).encode())[1:-1]:
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        text = head.decode()
        name = re.search(r'\bname="([^"]*)"', text)
        filename = re.search(r'\bfilename="([^"]*)"', text)
        part_type = re.search(r"(?im)^content-type:\s*(\S+)", text)
        assert name is not None, text
        parts[name.group(1)] = (
            filename.group(1) if filename else None,
            part_type.group(1) if part_type else None,
            data.removesuffix(b"\r\n"),
        )
    return parts


# --- helpers and fixtures -------------------------------------------------------------------


def png_item(source: str = "/srv/uploads/batch 7/cat.png") -> MediaItem:
    buffer = BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 90)).save(buffer, "PNG")
    data = buffer.getvalue()
    return MediaItem(content_item_id(data), MediaKind.IMAGE, "image/png", 8, 8, data, source)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def vendor() -> Iterator[FakeVendor]:
    server = FakeVendor()
    yield server
    server.stop()


Make = Callable[..., VendorDetector]


@pytest.fixture
def make(vendor: FakeVendor) -> Iterator[Make]:
    """Build and load a detector against ``vendor``; config fields as keyword arguments."""
    made: list[VendorDetector] = []

    def build(
        *, clock: Callable[[], float] = time.monotonic, sleep: Any = no_sleep, **fields: Any
    ) -> VendorDetector:
        config = VendorConfig(**{"url": vendor.url, **fields})
        detector = VendorDetector(config, clock=clock, sleep=sleep)
        detector.load()
        made.append(detector)
        return detector

    yield build
    for detector in made:
        detector.close()


# --- vendor response shapes ----------------------------------------------------------------


def test_hive_style_response_and_request(vendor: FakeVendor, make: Make) -> None:
    vendor.script(json_reply(HIVE_RESPONSE))
    detector = make(
        score=HIVE_EXPRESSION,
        api_key=SECRET,
        api_key_prefix="Token ",
        headers={"Accept": "application/json"},
    )
    item = png_item()

    result = detector.detect(item)

    assert result.score == pytest.approx(0.97)
    assert result.evidence["raw_value"] == 0.97
    assert result.evidence["attempts"] == 1
    assert result.evidence["http_status"] == 200
    assert result.evidence["endpoint"] == vendor.url
    assert isinstance(result.evidence["latency_ms"], float)
    assert result.evidence["summary"] == f"vendor API 127.0.0.1:{vendor.port}: AI score 0.97"
    [request] = vendor.received
    assert request.path == "/v1/detect"
    assert request.files == {"media": ("cat.png", "image/png", item.data)}
    assert request.headers["authorization"] == f"Token {SECRET}"
    assert request.headers["accept"] == "application/json"


def test_sightengine_style_response(vendor: FakeVendor, make: Make) -> None:
    vendor.script(json_reply({"status": "success", "type": {"ai_generated": 0.12}}))
    detector = make(score="type.ai_generated", file_field="image")
    item = png_item(source="")

    result = detector.detect(item)

    assert result.score == pytest.approx(0.12)
    [request] = vendor.received
    assert request.files == {"image": ("media", "image/png", item.data)}  # no source: "media"
    assert "authorization" not in request.headers  # no key configured, none sent


@pytest.mark.parametrize(("invert", "expected"), [(False, 0.93), (True, 0.07)])
def test_reality_defender_style_percentage(
    vendor: FakeVendor, make: Make, invert: bool, expected: float
) -> None:
    body = {"resultsSummary": {"status": "MANIPULATED", "metadata": {"finalScore": 93}}}
    vendor.script(json_reply(body))
    detector = make(score="resultsSummary.metadata.finalScore", scale=100, invert=invert)

    result = detector.detect(png_item())

    assert result.score == pytest.approx(expected)
    assert result.evidence["raw_value"] == 93
    assert result.evidence["summary"].endswith(f"AI score {expected:.2f}")


def test_query_string_and_credentials_stay_out_of_evidence(vendor: FakeVendor) -> None:
    url = f"http://user:pw@127.0.0.1:{vendor.port}/v1/detect?api_user=42&api_secret=hush"
    detector = VendorDetector(VendorConfig(url), sleep=no_sleep)
    try:
        result = detector.detect(png_item())  # detect loads lazily
    finally:
        detector.close()
    assert result.score == 0.5
    assert result.evidence["endpoint"] == vendor.url
    assert "hush" not in json.dumps(result.evidence) and "pw" not in repr(detector.config)
    assert vendor.received[0].path == "/v1/detect?api_user=42&api_secret=hush"


# --- retries and timeouts -------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_status_is_retried(vendor: FakeVendor, make: Make, status: int) -> None:
    vendor.script(Reply(status, b"busy", "text/plain"), json_reply({"score": 0.8}))
    sleeps: list[float] = []
    detector = make(sleep=sleeps.append)

    result = detector.detect(png_item())

    assert result.score == pytest.approx(0.8)
    assert result.evidence["attempts"] == 2
    assert len(vendor.received) == 2
    assert sleeps == [0.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_client_error_is_not_retried(vendor: FakeVendor, make: Make, status: int) -> None:
    vendor.script(Reply(status, b'{"error": "nope"}'), json_reply({"score": 0.8}))
    sleeps: list[float] = []
    detector = make(sleep=sleeps.append)

    result = detector.detect(png_item())

    assert result.abstained
    assert f"HTTP {status}" in str(result.abstain_reason)
    assert result.evidence["attempts"] == 1
    assert result.evidence["http_status"] == status
    assert len(vendor.received) == 1
    assert sleeps == []


def test_persistent_503_abstains_after_all_attempts(vendor: FakeVendor, make: Make) -> None:
    vendor.script(Reply(503, b"down", "text/plain"))
    sleeps: list[float] = []
    detector = make(retries=2, backoff_s=0.5, sleep=sleeps.append)

    result = detector.detect(png_item())

    assert result.abstain_reason == "vendor API returned HTTP 503 after 3 attempts"
    assert result.evidence["attempts"] == 3
    assert len(vendor.received) == 3
    assert sleeps == [0.5, 1.0]  # exponential back-off, never a real sleep


def test_connection_refused_abstains_after_retries() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    detector = VendorDetector(VendorConfig(f"http://127.0.0.1:{port}/x"), sleep=sleeps.append)
    detector.load()
    try:
        result = detector.detect(png_item())
    finally:
        detector.close()

    assert result.abstained
    assert str(result.abstain_reason).startswith("vendor API unreachable after 3 attempts")
    assert result.evidence["http_status"] is None
    assert sleeps == [0.5, 1.0]


def test_timeout_abstains(vendor: FakeVendor, make: Make) -> None:
    vendor.script(Reply(200, b'{"score": 0.9}', delay_s=1.0))
    detector = make(timeout_s=0.2, retries=1)

    started = time.monotonic()
    result = detector.detect(png_item())
    elapsed = time.monotonic() - started

    assert result.abstained
    assert "timed out" in str(result.abstain_reason)
    assert "ReadTimeout" in str(result.abstain_reason)
    assert result.evidence["attempts"] == 2
    assert len(vendor.received) == 2
    assert elapsed < 1.0  # did not wait for the slow server


# --- circuit breaker ------------------------------------------------------------------------


def test_circuit_opens_short_circuits_and_recovers(vendor: FakeVendor, make: Make) -> None:
    clock = FakeClock()
    vendor.script(Reply(500, b"boom", "text/plain"))
    detector = make(clock=clock, retries=0, failure_threshold=2, reset_after_s=30)
    item = png_item()

    assert detector.detect(item).abstained
    assert detector.detect(item).abstained
    assert len(vendor.received) == 2
    assert detector.breaker is not None and detector.breaker.state == "open"

    refused = detector.detect(item)
    assert len(vendor.received) == 2  # no request while open
    assert refused.abstain_reason == ("circuit open after 2 consecutive failures; next try in 30 s")
    assert refused.evidence["circuit"] == "open"

    clock.now += 10
    assert "next try in 20 s" in str(detector.detect(item).abstain_reason)
    assert len(vendor.received) == 2

    clock.now += 21  # past reset_after_s: one trial call goes out
    vendor.script(json_reply({"score": 0.4}))
    trial = detector.detect(item)
    assert trial.score == pytest.approx(0.4)
    assert len(vendor.received) == 3
    assert detector.breaker.state == "closed"
    assert detector.breaker.failures == 0


def test_failed_trial_reopens_the_circuit(vendor: FakeVendor, make: Make) -> None:
    clock = FakeClock()
    vendor.script(Reply(503, b"", "text/plain"))
    detector = make(clock=clock, retries=1, failure_threshold=1, reset_after_s=5)
    item = png_item()

    assert detector.detect(item).evidence["attempts"] == 2  # retries happen inside one call
    assert detector.breaker is not None and detector.breaker.state == "open"
    clock.now += 5
    assert detector.detect(item).abstain_reason == "vendor API returned HTTP 503 after 2 attempts"
    assert len(vendor.received) == 4
    refused = detector.detect(item)
    assert refused.abstain_reason == "circuit open after 2 consecutive failures; next try in 5 s"
    assert len(vendor.received) == 4


def test_breaker_counts_consecutive_failures_only() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(3, 10.0, clock=clock)
    for _ in range(2):
        breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    assert breaker.retry_after() == 10.0
    clock.now += 4
    assert breaker.retry_after() == 6.0


def test_half_open_lets_exactly_one_trial_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(1, 10.0, clock=clock)
    breaker.record_failure()
    clock.now += 10
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        results.append(breaker.allow())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 7 + [True]
    assert breaker.state == "half_open" and breaker.retry_after() == 0.0
    breaker.record_failure()
    assert breaker.state == "open" and breaker.retry_after() == 10.0


def test_half_open_refusal_names_the_trial(vendor: FakeVendor, make: Make) -> None:
    clock = FakeClock()
    detector = make(clock=clock, failure_threshold=1, reset_after_s=1)
    assert detector.breaker is not None
    detector.breaker.record_failure()
    clock.now += 1
    assert detector.breaker.allow()  # someone else's trial call is in flight

    result = detector.detect(png_item())

    assert "a trial call is in flight" in str(result.abstain_reason)
    assert vendor.received == []


def test_a_bug_still_releases_the_trial(make: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    detector = make(clock=clock, failure_threshold=1, reset_after_s=1)
    assert detector.breaker is not None
    detector.breaker.record_failure()
    clock.now += 1

    def broken(*args: Any) -> bytes:
        raise RuntimeError("bug")

    monkeypatch.setattr(detector, "_attempt", broken)
    with pytest.raises(RuntimeError, match="bug"):
        detector.detect(png_item())
    assert detector.breaker.state == "open"  # not stuck half-open


# --- bad responses --------------------------------------------------------------------------

BAD_RESPONSES = [
    pytest.param(Reply(200, b"<html>oops</html>", "text/html"), "not valid JSON", id="html"),
    pytest.param(Reply(200, b'{"score": NaN}'), "not valid JSON", id="nan"),
    pytest.param(Reply(200, b'{"score": 0.5'), "not valid JSON", id="truncated"),
    pytest.param(json_reply({"other": 1}), "no value at 'score'", id="missing"),
    pytest.param(json_reply({"score": None}), "no value at 'score'", id="null"),
    pytest.param(json_reply({"status": "processing"}, 202), "no value at 'score'", id="202"),
    pytest.param(json_reply({"score": "high"}), "is a string, not a number", id="string"),
    pytest.param(json_reply({"score": True}), "is a boolean, not a number", id="bool"),
    pytest.param(json_reply({"score": [0.5]}), "is an array, not a number", id="array"),
    pytest.param(json_reply({"score": {"v": 1}}), "is an object, not a number", id="object"),
    pytest.param(json_reply({"score": 1.7}), "outside [0, 1]: 1.7", id="above"),
    pytest.param(json_reply({"score": -0.1}), "outside [0, 1]: -0.1", id="below"),
    pytest.param(Reply(200, b'{"score": 1e999}'), "outside [0, 1]: inf", id="infinite"),
    pytest.param(Reply(302, b""), "HTTP 302", id="redirect-not-followed"),
]


@pytest.mark.parametrize(("reply", "reason"), BAD_RESPONSES)
def test_bad_response_abstains(vendor: FakeVendor, make: Make, reply: Reply, reason: str) -> None:
    vendor.script(reply)
    detector = make()

    result = detector.detect(png_item())

    assert result.abstained
    assert reason in str(result.abstain_reason)
    assert len(vendor.received) == 1  # a bad answer is not retried
    json.dumps(dict(result.evidence), allow_nan=False)  # evidence stays JSON
    assert detector.breaker is not None and detector.breaker.failures == 1


def test_out_of_range_after_scale_is_explained(vendor: FakeVendor, make: Make) -> None:
    vendor.script(json_reply({"score": 130}))
    result = make(scale=100).detect(png_item())
    assert result.abstain_reason == "value at 'score' is outside [0, 1]: 130 / scale 100 = 1.3"
    assert result.evidence["raw_value"] == 130


@pytest.mark.parametrize("content_length", [True, False], ids=["declared", "streamed"])
def test_oversize_response_abstains(vendor: FakeVendor, make: Make, content_length: bool) -> None:
    body = json.dumps({"score": 0.5, "pad": "x" * 5000}).encode()
    vendor.script(Reply(200, body, content_length=content_length))

    result = make(max_response_bytes=1000).detect(png_item())

    assert result.abstained
    assert "exceeds 1000 bytes" in str(result.abstain_reason)


def test_a_large_raw_value_is_truncated_in_evidence(vendor: FakeVendor, make: Make) -> None:
    vendor.script(json_reply({"score": {"nested": "y" * 10_000}}))
    result = make().detect(png_item())
    assert len(result.evidence["raw_value"]) <= 80
    assert len(str(result.abstain_reason)) <= 200


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"score": "status[0"}, "'status[0' is not valid JMESPath"),
        ({"url": "ftp://vendor.example/detect"}, "http:// or https://"),
        ({"url": "vendor.example/detect"}, "http:// or https://"),
        ({"url": "http:///detect"}, "with a host"),
        ({"url": "http://vendor.example:99999/"}, "not a valid URL"),
        ({"scale": 0}, "scale must be a positive number"),
        ({"timeout_s": -1}, "timeout_s must be a positive number"),
        ({"reset_after_s": 0}, "reset_after_s must be a positive number"),
        ({"backoff_s": -0.5}, "backoff_s must be between"),
        ({"retries": -1}, "retries must be an integer >= 0"),
        ({"failure_threshold": 0}, "failure_threshold must be an integer >= 1"),
        ({"max_response_bytes": 0}, "max_response_bytes must be an integer >= 1"),
        ({"file_field": ""}, "file_field must not be empty"),
        ({"headers": {"X-Key": 1}}, "headers must map"),
    ],
)
def test_invalid_config_raises(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        VendorConfig(**{"url": "https://vendor.example/detect", **fields})


def test_load_without_config_raises() -> None:
    with pytest.raises(ConfigError, match=re.escape("[vendor] url")):
        VendorDetector().load()
    with pytest.raises(ConfigError, match=re.escape("[vendor] url")):
        VendorDetector().detect(png_item())


def test_config_is_frozen_and_compiles_once() -> None:
    config = VendorConfig("https://vendor.example/detect", score="a.b", headers={"A": "1"})
    assert config.expression.search({"a": {"b": 3}}) == 3
    with pytest.raises(AttributeError):
        config.url = "http://elsewhere"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.headers["A"] = "2"  # type: ignore[index]


def test_load_is_idempotent_and_close_releases_only_own_client(vendor: FakeVendor) -> None:
    detector = VendorDetector(VendorConfig(vendor.url))
    detector.load()
    client = detector._client
    detector.load()
    assert detector._client is client
    detector.close()
    assert client is not None and client.is_closed

    with httpx.Client() as injected:
        borrowed = VendorDetector(VendorConfig(vendor.url), client=injected)
        borrowed.load()
        assert borrowed.detect(png_item()).score == 0.5
        borrowed.close()
        assert not injected.is_closed


def test_concurrent_detects_share_one_detector(vendor: FakeVendor, make: Make) -> None:
    detector = make()
    item = png_item()
    results: list[float | None] = []

    def scan() -> None:
        results.append(detector.detect(item).score)

    threads = [threading.Thread(target=scan) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [0.5] * 8


# --- the API key stays secret ---------------------------------------------------------------


def _echo_key(received: Received) -> Reply:
    """A careless vendor echoing the credentials back in every shape of answer."""
    key = received.headers.get("x-api-key", "")
    case = received.files["media"][0]
    if case == "401.png":
        return json_reply({"error": f"invalid key {key}"}, 401)
    if case == "html.png":
        return Reply(200, f"<p>{key}</p>".encode(), "text/html")
    if case == "string.png":
        return json_reply({"score": key})
    if case == "object.png":
        return json_reply({"score": {"key": key}})
    if case == "range.png":
        return json_reply({"score": 5, "key": key})
    if case == "cut.png":  # the key straddles the truncation of long values
        return json_reply({"score": "x" * 70 + key})
    return json_reply({"score": 0.25, "echo": key})


def test_api_key_never_appears_in_results(vendor: FakeVendor, make: Make) -> None:
    vendor.responder = _echo_key
    detector = make(api_key=SECRET, api_key_header="X-Api-Key", api_key_prefix="")
    cases = ["ok.png", "401.png", "html.png", "string.png", "object.png", "range.png", "cut.png"]

    results = [detector.detect(png_item(f"/in/{case}")) for case in cases]

    assert all(r.headers["x-api-key"] == SECRET for r in vendor.received)  # it was sent
    assert results[0].score == 0.25
    assert all(r.abstained for r in results[1:])
    for result in results:
        assert SECRET not in json.dumps(dict(result.evidence))
        assert SECRET not in str(result.abstain_reason)
        assert SECRET not in repr(result)
        assert SECRET[:6] not in json.dumps(dict(result.evidence)) + str(result.abstain_reason)
    assert results[3].evidence["raw_value"] == "***"
    assert SECRET not in repr(detector.config)


# --- conformance ----------------------------------------------------------------------------


def _conformance_reply(received: Received) -> Reply:
    """Scores the example images; says it cannot analyse video (the detector abstains)."""
    scores = {"image/png": 0.81, "image/jpeg": 0.35}
    _, mime, _ = received.files["media"]
    if mime in scores:
        return json_reply({"score": scores[mime]})
    return json_reply({"score": None, "error": f"{mime} not supported"})


# parametrize runs at collection, so the server and the detector exist at import; the module
# fixture below (or, if no test of this module runs, atexit) shuts them down.
CONFORMANCE_SERVER = FakeVendor(_conformance_reply)
CONFORMANCE_DETECTOR = VendorDetector(
    VendorConfig(CONFORMANCE_SERVER.url),
    clock=lambda: 0.0,  # latency_ms is the only evidence that varies: pin it for determinism
    sleep=no_sleep,
)
atexit.register(CONFORMANCE_SERVER.stop)


@pytest.fixture(scope="module", autouse=True)
def _stop_conformance_server() -> Iterator[None]:
    yield
    CONFORMANCE_DETECTOR.close()
    CONFORMANCE_SERVER.stop()


@parametrize_with_checks([CONFORMANCE_DETECTOR])
def test_vendor_detector_contract(detector: Any, check: Any) -> None:
    if check is testing.check_detect_does_no_network_io:
        # The documented exception: this detector exists to call a vendor over the network.
        # The kit must still notice it (and the detector must not swallow the refusal).
        with pytest.raises(AssertionError, match="network I/O attempted"):
            check(detector)
    else:
        check(detector)
