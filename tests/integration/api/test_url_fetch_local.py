"""URL fetching against real local HTTP servers: a redirect to 127.0.0.1 is refused without
being followed. The server under test listens on 127.0.0.2, which the test allows explicitly
through the fetcher's ``is_allowed`` argument (the only way to allow a loopback address)."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deepscreen.adapters.url_fetch import UrlFetcher
from deepscreen.api.testing import api_harness, png_bytes
from deepscreen.core.access import Role
from deepscreen.core.errors import UrlRefused

ALLOWED = ipaddress.ip_address("127.0.0.2")


class Recorder(ThreadingHTTPServer):
    paths: list[str]
    redirect_to: str = ""


class Handler(BaseHTTPRequestHandler):
    server: Recorder

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.paths.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
            self.end_headers()
            return
        body = png_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(host: str) -> Iterator[Recorder]:
    try:
        server = Recorder((host, 0), Handler)
    except OSError as exc:
        pytest.skip(f"cannot listen on {host}: {exc}")
    server.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def public_like() -> Iterator[Recorder]:
    """Stands for a public media host (allowed by the test's explicit address check)."""
    yield from _serve("127.0.0.2")


@pytest.fixture
def internal() -> Iterator[Recorder]:
    """Stands for an internal service on loopback that must never be reached."""
    yield from _serve("127.0.0.1")


def _fetcher() -> UrlFetcher:
    return UrlFetcher(
        max_bytes=1_000_000, timeout_s=5, max_redirects=3, is_allowed=lambda ip: ip == ALLOWED
    )


def test_an_allowed_host_is_fetched(public_like: Recorder) -> None:
    port = public_like.server_address[1]
    fetched = _fetcher().fetch(f"http://127.0.0.2:{port}/photo.png")
    assert fetched.content == png_bytes() and public_like.paths == ["/photo.png"]


def test_a_redirect_to_loopback_is_refused_and_never_followed(
    public_like: Recorder, internal: Recorder
) -> None:
    public_like.redirect_to = f"http://127.0.0.1:{internal.server_address[1]}/admin"
    port = public_like.server_address[1]
    with pytest.raises(UrlRefused, match="not allowed"):
        _fetcher().fetch(f"http://127.0.0.2:{port}/redirect")
    assert public_like.paths == ["/redirect"] and internal.paths == []


def test_loopback_is_refused_by_the_default_check(internal: Recorder) -> None:
    fetcher = UrlFetcher(max_bytes=1000, timeout_s=5, max_redirects=0)
    for host in ("127.0.0.1", "localhost"):
        with pytest.raises(UrlRefused):
            fetcher.fetch(f"http://{host}:{internal.server_address[1]}/x")
    assert internal.paths == []


def test_scan_by_url_through_the_api(public_like: Recorder, internal: Recorder) -> None:
    public_like.redirect_to = f"http://127.0.0.1:{internal.server_address[1]}/admin"
    harness = api_harness(fetcher=_fetcher())
    port = public_like.server_address[1]
    headers = harness.auth(Role.INGEST)
    try:
        ok = harness.client.post(
            "/v1/scan", data={"url": f"http://127.0.0.2:{port}/a.png"}, headers=headers
        )
        refused = harness.client.post(
            "/v1/scan", data={"url": f"http://127.0.0.2:{port}/redirect"}, headers=headers
        )
    finally:
        harness.close()
    assert ok.status_code == 200, ok.text
    assert ok.json()["source"] == f"http://127.0.0.2:{port}/a.png"
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "url_refused"
    assert internal.paths == []
