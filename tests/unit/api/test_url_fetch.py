"""URL fetching refuses private, local and reserved addresses, at every hop (no network)."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from deepscreen.bootstrap import url_fetcher
from deepscreen.core.errors import ConfigError, MediaTooLarge, UrlRefused
from deepscreen.service.url_fetch import UrlFetcher, address_check, is_public_address
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
