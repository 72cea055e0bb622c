"""One deadline for the whole URL fetch, against a real, hostile local server (a raw socket
server that trickles its response one byte every 0.2 s), and slow fetches never starve the
other endpoints.

No assertion is on wall-clock speed: a fetch that was not cut off would read the whole slow
response and *succeed* (the server sends a valid one), so the typed error is the evidence.
The server listens on 127.0.0.2, allowed by the test's explicit address check.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pytest

from deepscreen.adapters.url_fetch import FetchedMedia, UrlFetcher
from deepscreen.api.testing import api_harness, png_bytes
from deepscreen.core.access import Role
from deepscreen.core.errors import UrlFetchTimedOut

ALLOWED = ipaddress.ip_address("127.0.0.2")
BODY = png_bytes()
HEADERS = (
    b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n"
    + b"X-Padding: "
    + b"p" * 200
    + b"\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
)
TRICKLE_S = 0.2
# A TLS handshake record header announcing 16 KiB, then its body: one read per byte keeps a
# handshake alive under any per-read timeout (only the watchdog ends it).
TLS_RECORD = b"\x16\x03\x03\x40\x00" + b"\x02" * 16_384


@dataclass
class SlowServer:
    """``trickle_headers``: one response byte per 0.2 s; ``trickle_body``: headers at once,
    then the body one byte per 0.2 s; ``trickle_tls``: a TLS handshake record one byte per
    0.2 s; ``hold``: nothing until ``release`` is set, then close; ``fast``: the whole
    response at once."""

    mode: str
    listener: socket.socket
    release: threading.Event = field(default_factory=threading.Event)
    accepted: int = 0
    sent: list[int] = field(default_factory=list)  # bytes sent, per connection
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            with self.lock:
                self.accepted += 1
                self.sent.append(0)
                index = len(self.sent) - 1
            threading.Thread(target=self._answer, args=(conn, index), daemon=True).start()

    def _answer(self, conn: socket.socket, index: int) -> None:
        with conn:
            try:
                if self.mode == "trickle_tls":  # a TLS record announcing 16 KiB, byte by byte
                    self._trickle(conn, index, TLS_RECORD)
                    return
                _read_request(conn)
                if self.mode == "hold":
                    self.release.wait(120)
                    return
                if self.mode == "fast":
                    conn.sendall(HEADERS + BODY)
                    self._count(index, len(HEADERS) + len(BODY))
                    return
                if self.mode == "trickle_body":
                    conn.sendall(HEADERS)
                    self._count(index, len(HEADERS))
                    self._trickle(conn, index, BODY)
                else:
                    self._trickle(conn, index, HEADERS + BODY)
            except OSError:  # the client gave up (the point of the test)
                return

    def _trickle(self, conn: socket.socket, index: int, data: bytes) -> None:
        for i in range(len(data)):
            if self.release.wait(TRICKLE_S):
                return
            conn.sendall(data[i : i + 1])
            self._count(index, 1)

    def _count(self, index: int, n: int) -> None:
        with self.lock:
            self.sent[index] += n


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            raise OSError("client closed before its request ended")
        data += chunk


def _serve(mode: str) -> Iterator[SlowServer]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((str(ALLOWED), 0))
    except OSError as exc:
        listener.close()
        pytest.skip(f"cannot listen on {ALLOWED}: {exc}")
    listener.listen(128)
    server = SlowServer(mode, listener)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield server
    server.release.set()
    try:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept (close alone does not)
    except OSError:
        pass
    listener.close()
    thread.join(10)


@pytest.fixture
def header_trickler() -> Iterator[SlowServer]:
    yield from _serve("trickle_headers")


@pytest.fixture
def body_trickler() -> Iterator[SlowServer]:
    yield from _serve("trickle_body")


@pytest.fixture
def tls_trickler() -> Iterator[SlowServer]:
    yield from _serve("trickle_tls")


@pytest.fixture
def holder() -> Iterator[SlowServer]:
    yield from _serve("hold")


@pytest.fixture
def fast() -> Iterator[SlowServer]:
    yield from _serve("fast")


def _fetcher(timeout_s: float, **options: int) -> UrlFetcher:
    return UrlFetcher(
        max_bytes=1_000_000,
        timeout_s=timeout_s,
        max_redirects=0,
        is_allowed=lambda ip: ip == ALLOWED,
        **options,
    )


def test_a_header_trickling_server_is_cut_off_at_the_deadline(
    header_trickler: SlowServer,
) -> None:
    url = f"http://{ALLOWED}:{header_trickler.port}/slow.png"
    with pytest.raises(UrlFetchTimedOut, match="not fetched within 1 s"):
        _fetcher(1.0).fetch(url)
    # it ended long before the server finished its (valid) response
    assert header_trickler.sent[0] < len(HEADERS)


def test_a_body_trickling_server_is_cut_off_at_the_deadline(body_trickler: SlowServer) -> None:
    url = f"http://{ALLOWED}:{body_trickler.port}/slow.png"
    with pytest.raises(UrlFetchTimedOut):
        _fetcher(1.0).fetch(url)
    assert body_trickler.sent[0] < len(HEADERS) + len(BODY)


def test_a_tls_handshake_trickle_is_cut_off_at_the_deadline(tls_trickler: SlowServer) -> None:
    """The handshake is one blocking call that reads many times; it gets only the time left
    (Python's ``ssl`` applies it to the whole call), with the watchdog as a backstop."""
    with pytest.raises(UrlFetchTimedOut):
        _fetcher(1.0).fetch(f"https://{ALLOWED}:{tls_trickler.port}/slow.png")
    assert tls_trickler.sent[0] < len(TLS_RECORD)


def test_a_submitted_fetch_is_cut_off_too(header_trickler: SlowServer) -> None:
    fetcher = _fetcher(1.0)
    try:
        future = fetcher.submit(f"http://{ALLOWED}:{header_trickler.port}/slow.png")
        with pytest.raises(UrlFetchTimedOut):
            future.result(timeout=120)  # a safety net only: the deadline ends it
    finally:
        fetcher.close()


def test_a_prompt_server_is_fetched_through_the_deadline_transport(fast: SlowServer) -> None:
    fetched = _fetcher(30.0).fetch(f"http://{ALLOWED}:{fast.port}/x.png")
    assert fetched.content == BODY and fetched.content_type == "image/png"


class CountingFetcher(UrlFetcher):
    """Counts fetches handed to the app's fetch threads."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.submitted = 0
        self._count_lock = threading.Lock()

    def submit(self, url: str) -> Future[FetchedMedia]:
        with self._count_lock:
            self.submitted += 1
        return super().submit(url)


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    stop = threading.Event()
    for _ in range(1200):  # at most two minutes: a safety net, not a measure
        if condition():
            return
        stop.wait(0.1)
    raise AssertionError(f"never happened: {what}")


def test_slow_fetches_never_starve_the_other_endpoints(holder: SlowServer) -> None:
    """45 scans by URL held by a server that never answers (more than the 40 threads that
    serve sync endpoints); a GET /v1/decisions still answers while every one of them is
    still waiting — none has ended (their deadline is far away, the server holds them)."""
    fetcher = CountingFetcher(
        max_bytes=1_000_000,
        timeout_s=120.0,
        max_redirects=0,
        is_allowed=lambda ip: ip == ALLOWED,
        concurrency=4,
    )
    harness = api_harness(fetcher=fetcher)
    headers = harness.auth(Role.INGEST)
    analyst = harness.auth(Role.ANALYST)
    url = f"http://{ALLOWED}:{holder.port}/held.png"
    ended: list[int] = []

    def scan() -> None:
        response = harness.client.post("/v1/scan", data={"url": url}, headers=headers)
        ended.append(response.status_code)

    scans = [threading.Thread(target=scan, daemon=True) for _ in range(45)]
    try:
        with harness.client:  # one event loop and one threadpool for every request
            for thread in scans:
                thread.start()
            _wait_until(lambda: fetcher.submitted == 45, "45 fetches submitted")
            _wait_until(lambda: holder.accepted >= 4, "4 fetches connected")
            listed = harness.client.get("/v1/decisions", headers=analyst)
            assert listed.status_code == 200, listed.text
            assert ended == []  # answered while all 45 scans were still held
            holder.release.set()
            for thread in scans:
                thread.join(120)
            assert len(ended) == 45 and set(ended) == {422}  # the server closed: refused
    finally:
        holder.release.set()
        harness.close()


def test_the_api_answers_a_timed_out_fetch_with_a_typed_422(header_trickler: SlowServer) -> None:
    harness = api_harness(fetcher=_fetcher(1.0))
    url = f"http://{ALLOWED}:{header_trickler.port}/slow.png"
    try:
        response = harness.client.post(
            "/v1/scan", data={"url": url}, headers=harness.auth(Role.INGEST)
        )
    finally:
        harness.close()
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "url_fetch_timeout"
