"""Fetch media named by a URL without letting the URL reach inside the network (SSRF).

Every hop's host is resolved once and *every* address it resolves to must pass the address
check (by default: globally routable unicast only — no private, loopback, link-local,
multicast, reserved or unspecified address, IPv4-mapped IPv6 included); the request then goes to
the checked IP itself (Host header and TLS SNI keep the name), so a second DNS answer cannot
swap the address (DNS rebinding). Redirects are followed by hand, each hop checked the same
way, at most ``max_redirects``. The body is streamed and cut at ``max_bytes``; the whole fetch
has a ``timeout_s`` deadline. Proxies from the environment are ignored (they would bypass the
check). Which addresses pass is an explicit ``is_allowed`` argument, never a global.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from deepscreen.core.errors import MediaTooLarge, UrlRefused

log = logging.getLogger(__name__)
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressCheck = Callable[[IpAddress], bool]
Resolver = Callable[[str, int], list[IpAddress]]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_public_address(ip: IpAddress) -> bool:
    """True for a globally routable unicast address (the default address check)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def address_check(allowed_networks: Iterable[str] = ()) -> AddressCheck:
    """Public addresses, plus any address inside ``allowed_networks`` (CIDR strings)."""
    networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]

    def check(ip: IpAddress) -> bool:
        return is_public_address(ip) or any(ip in net for net in networks)

    return check


def resolve_host(host: str, port: int) -> list[IpAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(f"cannot resolve host {host!r}: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


@dataclass(frozen=True)
class FetchedMedia:
    url: str  # as given
    final_url: str  # after redirects
    content: bytes
    content_type: str | None


class UrlFetcher:
    """GET one URL under the rules of this module's docstring."""

    def __init__(
        self,
        *,
        max_bytes: int,
        timeout_s: float,
        max_redirects: int,
        is_allowed: AddressCheck = is_public_address,
        resolve: Resolver = resolve_host,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.max_redirects = max_redirects
        self._is_allowed = is_allowed
        self._resolve = resolve
        self._transport = transport

    def fetch(self, url: str) -> FetchedMedia:
        """The body of ``url``; ``UrlRefused`` or ``MediaTooLarge`` otherwise."""
        try:
            current = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise UrlRefused(f"not a valid URL: {url[:200]!r}") from exc
        deadline = time.monotonic() + self.timeout_s
        client = httpx.Client(
            transport=self._transport,
            timeout=httpx.Timeout(self.timeout_s),
            follow_redirects=False,
            trust_env=False,
        )
        try:
            with client:
                for _ in range(self.max_redirects + 1):
                    fetched = self._hop(client, url, current, deadline)
                    if isinstance(fetched, FetchedMedia):
                        return fetched
                    current = fetched
        except httpx.HTTPError as exc:
            raise UrlRefused(f"fetching {url[:200]!r} failed: {type(exc).__name__}") from exc
        raise UrlRefused(f"{url[:200]!r}: more than {self.max_redirects} redirects")

    def _hop(
        self, client: httpx.Client, url: str, current: httpx.URL, deadline: float
    ) -> FetchedMedia | httpx.URL:
        """One request: the media, or the URL a redirect points to."""
        ip, host_header = self._checked_target(current)
        target = current.copy_with(host=str(ip))
        extensions = {"sni_hostname": current.host} if current.scheme == "https" else {}
        headers = {"Host": host_header, "Accept": "image/*, video/*"}
        with client.stream("GET", target, headers=headers, extensions=extensions) as response:
            if response.status_code in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise UrlRefused(f"{current}: redirect without a Location")
                return current.join(location)
            if response.status_code != 200:
                raise UrlRefused(f"{current}: HTTP {response.status_code}")
            content = self._read(response, str(current), deadline)
            return FetchedMedia(url, str(current), content, response.headers.get("content-type"))

    def _checked_target(self, url: httpx.URL) -> tuple[IpAddress, str]:
        """The address to connect to (every resolved address checked) and the Host header."""
        if url.scheme not in _DEFAULT_PORTS:
            raise UrlRefused(f"{url}: only http and https URLs are fetched")
        if not url.host:
            raise UrlRefused(f"{url}: no host")
        if url.userinfo:
            raise UrlRefused(f"{url.copy_with(username=None, password=None)}: credentials in URL")
        port = url.port or _DEFAULT_PORTS[url.scheme]
        addresses = self._resolve(url.host, port)
        refused = [ip for ip in addresses if not self._is_allowed(ip)]
        if not addresses or refused:
            # The addresses stay in the log: telling the caller would map internal names.
            log.warning("url fetch refused: %s resolves to %s", url.host, refused or "nothing")
            raise UrlRefused(f"{url.host}: address not allowed (private, local or reserved)")
        netloc = url.netloc.decode("ascii")
        return addresses[0], netloc

    def _read(self, response: httpx.Response, where: str, deadline: float) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise MediaTooLarge(where, f"{int(declared):,} bytes, over {self.max_bytes:,}")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise MediaTooLarge(where, f"more than {self.max_bytes:,} bytes")
            if time.monotonic() > deadline:
                raise UrlRefused(f"{where}: timed out after {self.timeout_s:g} s")
            chunks.append(chunk)
        return b"".join(chunks)
