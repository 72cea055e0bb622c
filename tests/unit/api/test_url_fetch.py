"""URL fetching refuses private, local and reserved addresses, at every hop (no network)."""

from __future__ import annotations

import ipaddress
import socket
import threading

import httpx
import pytest

from deepscreen.adapters.url_fetch import (
    UrlFetcher,
    address_check,
    embedded_ipv4,
    is_public_address,
)
from deepscreen.adapters.url_fetch_deadline import Deadline
from deepscreen.bootstrap import url_fetcher
from deepscreen.core.errors import ConfigError, MediaTooLarge, UrlFetchTimedOut, UrlRefused
from deepscreen.settings import ApiSettings, Settings

PUBLIC = ipaddress.ip_address("93.184.216.34")
DNS = {
    "cdn.example": [PUBLIC],
    "inside.example": [ipaddress.ip_address("10.1.2.3")],
    "mixed.example": [PUBLIC, ipaddress.ip_address("127.0.0.1")],
    "metadata.example": [ipaddress.ip_address("169.254.169.254")],
}


def resolve(host: str, _port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        return DNS[host]


def fetcher(handler, **options) -> UrlFetcher:
    settings = {"max_bytes": 1000, "timeout_s": 5.0, "max_redirects": 2, **options}
    return UrlFetcher(resolve=resolve, transport=httpx.MockTransport(handler), **settings)


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent, got {request.url}")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        # IPv6 transition forms are judged by the IPv4 address they carry, too
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::", False),  # 6to4 of 169.254.169.254
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("2002:5db8:d822::1", True),  # 6to4 of 93.184.216.34
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("2001::1", False),  # Teredo, 0.0.0.0 server
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b::5db8:d822", True),  # NAT64 of 93.184.216.34 (DNS64 networks)
        ("64:ff9b:1::a00:1", False),  # local-use NAT64
        ("64:ff9b:1::5db8:d822", False),  # local-use NAT64, whatever it embeds
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::93.184.216.34", False),  # IPv4-compatible: deprecated, reserved
        ("::ffff:0:7f00:1", False),  # IPv4-translated
        ("fec0::1", False),  # site-local
        ("3fff::1", False),  # documentation
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/a.png",
        "http://10.0.0.7/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/a.png",
        "http://0.0.0.0/",
        "http://inside.example/a.png",
        "http://metadata.example/",
        "http://mixed.example/a.png",  # one bad address is enough
        "http://[2002:7f00:1::]/",
        "http://[2002:a9fe:a9fe::]/latest/meta-data/",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[64:ff9b:1::a00:1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::127.0.0.1]/",
    ],
)
def test_private_and_local_addresses_are_refused_before_any_request(url: str) -> None:
    with pytest.raises(UrlRefused, match="not allowed"):
        fetcher(never).fetch(url)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://cdn.example/a.png", "gopher://cdn.example/", "nonsense"]
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(UrlRefused):
        fetcher(never).fetch(url)


def test_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(UrlRefused, match="credentials"):
        fetcher(never).fetch("http://user:pw@cdn.example/a.png")


def test_the_request_goes_to_the_checked_address_with_the_name_as_host() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"PNGDATA", headers={"content-type": "image/png"})

    fetched = fetcher(handler).fetch("http://cdn.example:8080/a.png?x=1")
    assert fetched.content == b"PNGDATA" and fetched.content_type == "image/png"
    (request,) = seen
    assert request.url.host == str(PUBLIC) and request.url.port == 8080
    assert request.url.path == "/a.png" and request.url.query == b"x=1"
    assert request.headers["host"] == "cdn.example:8080"


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1/a.png",
        "http://inside.example/a.png",
        "http://[::1]/a.png",
        "http://169.254.169.254/",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_to_a_refused_address_is_refused(location: str) -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(302, headers={"location": location})

    with pytest.raises(UrlRefused):
        fetcher(handler).fetch("http://cdn.example/a.png")
    assert hosts == [str(PUBLIC)]  # the redirect target was never contacted


def test_redirects_are_followed_up_to_the_limit() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        hop = int(request.url.params.get("hop", "0"))
        if hop < 2:
            return httpx.Response(301, headers={"location": f"/next?hop={hop + 1}"})
        return httpx.Response(200, content=b"ok")

    assert fetcher(handler).fetch("http://cdn.example/start").content == b"ok"
    with pytest.raises(UrlRefused, match="more than 1 redirects"):
        fetcher(handler, max_redirects=1).fetch("http://cdn.example/start")


def test_bodies_over_the_limit_are_refused_declared_or_streamed() -> None:
    def declared(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 2000)

    def streamed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"x" * 600, b"x" * 600]))

    for handler in (declared, streamed):
        with pytest.raises(MediaTooLarge):
            fetcher(handler).fetch("http://cdn.example/big.png")


def test_http_errors_and_transport_failures_are_refusals() -> None:
    def not_found(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("boom", request=request)

    with pytest.raises(UrlRefused, match="HTTP 404"):
        fetcher(not_found).fetch("http://cdn.example/a.png")
    with pytest.raises(UrlRefused, match="ConnectError"):
        fetcher(broken).fetch("http://cdn.example/a.png")


def test_allowed_networks_are_an_explicit_exception() -> None:
    check = address_check(["10.1.2.0/24"])
    assert check(ipaddress.ip_address("10.1.2.3"))
    assert not check(ipaddress.ip_address("10.1.3.3"))
    assert not check(ipaddress.ip_address("127.0.0.1"))
    assert check(PUBLIC)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"ok")

    inside = UrlFetcher(
        max_bytes=10,
        timeout_s=5,
        max_redirects=0,
        is_allowed=check,
        resolve=resolve,
        transport=httpx.MockTransport(handler),
    )
    assert inside.fetch("http://inside.example/a.png").content == b"ok"


def test_the_fetcher_comes_from_settings_and_is_off_by_default() -> None:
    assert url_fetcher(Settings(db_url="memory://")) is None
    on = url_fetcher(Settings(db_url="memory://", api=ApiSettings(url_fetch_enabled=True)))
    assert on is not None and on.max_redirects == 3
    with pytest.raises(UrlRefused, match="not allowed"):
        on.fetch("http://127.0.0.1:9/a.png")
    bad = ApiSettings(url_fetch_enabled=True, url_fetch_allowed_networks=["not-a-network"])
    with pytest.raises(ConfigError, match="url_fetch_allowed_networks"):
        url_fetcher(Settings(db_url="memory://", api=bad))


def test_the_embedded_ipv4_addresses_of_transition_forms() -> None:
    def v4s(address: str) -> list[str]:
        return [str(v4) for v4 in embedded_ipv4(ipaddress.IPv6Address(address))]

    assert v4s("2002:7f00:1::") == ["127.0.0.1"]
    assert v4s("2001:0:4136:e378:8000:63bf:3fff:fdd2") == ["65.54.227.120", "192.0.2.45"]
    assert v4s("64:ff9b::a9fe:a9fe") == ["169.254.169.254"]
    assert v4s("::ffff:0:a00:1") == ["10.0.0.1"]
    assert v4s("::10.0.0.1") == ["10.0.0.1"]
    assert v4s("::ffff:10.0.0.1") == ["10.0.0.1"]
    assert v4s("2606:2800:220:1:248:1893:25c8:1946") == []


def test_name_resolution_is_cut_off_by_the_deadline() -> None:
    release = threading.Event()

    def hanging(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        release.wait(60)  # getaddrinfo stuck on a dead resolver
        return [PUBLIC]

    stuck = UrlFetcher(
        max_bytes=10,
        timeout_s=0.3,
        max_redirects=0,
        resolve=hanging,
        transport=httpx.MockTransport(never),
    )
    try:
        with pytest.raises(UrlFetchTimedOut, match="name resolution"):
            stuck.fetch("http://cdn.example/a.png")
    finally:
        release.set()


def test_waiting_for_a_fetch_thread_counts_against_the_deadline() -> None:
    """The deadline starts when the fetch is submitted: a fetch that waited for a free
    thread past it ends at once (so queued requests never wait longer than one deadline)."""
    now = [0.0]
    both_submitted = threading.Event()

    def slow_and_refused(
        host: str, port: int
    ) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        both_submitted.wait(60)
        now[0] += 100.0  # the first fetch takes 100 s of the (fake) clock
        return [ipaddress.ip_address("10.0.0.1")]

    one_thread = UrlFetcher(
        max_bytes=10,
        timeout_s=30.0,
        max_redirects=0,
        resolve=slow_and_refused,
        transport=httpx.MockTransport(never),
        concurrency=1,
        clock=lambda: now[0],
    )
    try:
        first = one_thread.submit("http://cdn.example/a.png")
        second = one_thread.submit("http://cdn.example/b.png")  # queued behind the first
        both_submitted.set()
        with pytest.raises(UrlRefused, match="not allowed"):
            first.result(timeout=60)
        with pytest.raises(UrlFetchTimedOut, match="no fetch thread free"):
            second.result(timeout=60)
    finally:
        one_thread.close()


def test_the_watchdog_ends_a_read_blocked_past_the_deadline() -> None:
    """The backstop for calls that read several times under one timeout (a TLS handshake):
    at the deadline the socket is shut down, and the blocked read returns."""
    ours, theirs = socket.socketpair()
    ours.settimeout(60)  # a safety net only: the watchdog must end the read long before
    deadline = Deadline(0.2)
    try:
        deadline.watch(ours)
        assert ours.recv(1) == b""  # shut down by the watchdog, not timed out
    finally:
        deadline.close()
        ours.close()
        theirs.close()


def test_a_closed_deadline_never_shuts_a_socket_down() -> None:
    ours, theirs = socket.socketpair()
    deadline = Deadline(0.05)
    deadline.watch(ours)
    deadline.close()  # the fetch ended before its deadline
    try:
        theirs.sendall(b"x")
        threading.Event().wait(0.2)  # past the deadline: nothing may happen to the socket
        assert ours.recv(1) == b"x"
    finally:
        ours.close()
        theirs.close()
