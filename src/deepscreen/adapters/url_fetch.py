"""Fetch media named by a URL without letting the URL reach inside the network (SSRF) or a slow
server hold the service: every address checked, requests pinned to it, redirects by hand, one
deadline, a bounded thread pool (docs/reliability-api.md; docs/internals/service.md)."""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import httpx

from deepscreen.adapters.url_fetch_deadline import Deadline, DeadlineTransport, resolve_before
from deepscreen.core.errors import MediaTooLarge, UrlFetchTimedOut, UrlRefused
from deepscreen.core.media import FetchedMedia as FetchedMedia

log = logging.getLogger(__name__)
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressCheck = Callable[[IpAddress], bool]
Resolver = Callable[[str, int], list[IpAddress]]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}


# Non-global networks that Python 3.11's ``ipaddress`` tables do not know yet (IANA's special-
# purpose registry marks them not globally reachable); everything else comes from ipaddress.
_NOT_GLOBAL_V6 = (
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
    ipaddress.IPv6Network("3fff::/20"),  # documentation (RFC 9637)
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix (RFC 6052)
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # SIIT (RFC 2765)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated (RFC 4291)


def is_public_address(ip: IpAddress) -> bool:
    """True for a globally routable unicast address whose every embedded IPv4 address is one
    too (the default address check).

    Why the embedded addresses: a packet to ``2002:7f00:1::`` (6to4) or ``64:ff9b::7f00:1``
    (NAT64) is delivered to the IPv4 address inside it, here 127.0.0.1, so that address must
    pass the same rule. IPv4-mapped and well-known NAT64 addresses are decided by their IPv4
    address alone: the packets go to that IPv4 host (IANA counts 64:ff9b::/96 as global; an
    IPv6-only network with DNS64 reaches every IPv4 media host through it).
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public_address(_last_32_bits(ip))
        if not all(is_public_address(v4) for v4 in embedded_ipv4(ip)):
            return False
        if ip.is_site_local or any(ip in net for net in _NOT_GLOBAL_V6):
            return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 transition address carries: IPv4-mapped, 6to4, Teredo
    (server and client), NAT64 (64:ff9b::/96), IPv4-translated, and IPv4-compatible
    (::a.b.c.d; ``::`` and ``::1`` embed 0.0.0.0 and 0.0.0.1)."""
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo
    if any(ip in net for net in (_NAT64, _IPV4_TRANSLATED, _IPV4_COMPATIBLE)):
        return (_last_32_bits(ip),)
    return ()


def _last_32_bits(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)


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


class UrlFetcher:
    """GET one URL under the rules in docs/reliability-api.md and docs/internals/service.md.

    ``fetch`` runs in the calling thread; ``submit`` on the fetcher's own pool of
    ``concurrency`` threads, its deadline counted from the call (time spent waiting for a free
    thread is part of it). ``close`` stops the pool (a later ``submit`` starts a new one)."""

    def __init__(
        self,
        *,
        max_bytes: int,
        timeout_s: float,
        max_redirects: int,
        is_allowed: AddressCheck = is_public_address,
        resolve: Resolver = resolve_host,
        transport: httpx.BaseTransport | None = None,
        concurrency: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.max_redirects = max_redirects
        self.concurrency = concurrency
        self._is_allowed = is_allowed
        self._resolve = resolve
        self._transport = transport  # tests: a mock; None: a DeadlineTransport per fetch
        self._pool: ThreadPoolExecutor | None = None
        self._ssl_context: ssl.SSLContext | None = None  # built once: it loads the CA bundle
        self._pool_lock = threading.Lock()
        self._clock = clock  # monotonic seconds; tests pass a fake

    def fetch(self, url: str) -> FetchedMedia:
        """The body of ``url``; ``UrlRefused`` (``UrlFetchTimedOut`` past the deadline) or
        ``MediaTooLarge`` otherwise."""
        return self._fetch(url, Deadline(self.timeout_s, clock=self._clock))

    def submit(self, url: str) -> Future[FetchedMedia]:
        """``fetch(url)`` on the fetcher's own threads, within a deadline that starts now."""
        deadline = Deadline(self.timeout_s, clock=self._clock)
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="url-fetch")
            return self._pool.submit(self._fetch, url, deadline)

    def close(self) -> None:
        """Stop the fetch threads: queued fetches are cancelled, running ones end by their
        deadline."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _fetch(self, url: str, deadline: Deadline) -> FetchedMedia:
        try:
            try:
                current = httpx.URL(url)
            except httpx.InvalidURL as exc:
                raise UrlRefused(f"not a valid URL: {url[:200]!r}") from exc
            if deadline.passed():  # waited for a free fetch thread the whole time
                raise UrlFetchTimedOut(f"{url[:200]!r}: no fetch thread free within the deadline")
            return self._hops(url, current, deadline)
        finally:
            deadline.close()

    def _hops(self, url: str, current: httpx.URL, deadline: Deadline) -> FetchedMedia:
        transport = self._transport
        if transport is None:
            transport = DeadlineTransport(deadline, ssl_context=self._tls())
        client = httpx.Client(
            transport=transport,
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
        except httpx.TimeoutException as exc:
            raise self._timed_out(url) from exc
        except httpx.HTTPError as exc:
            if deadline.passed():  # the watchdog shut the socket: seen as a read error
                raise self._timed_out(url) from exc
            raise UrlRefused(f"fetching {url[:200]!r} failed: {type(exc).__name__}") from exc
        raise UrlRefused(f"{url[:200]!r}: more than {self.max_redirects} redirects")

    def _tls(self) -> ssl.SSLContext:
        with self._pool_lock:
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()
            return self._ssl_context

    def _timed_out(self, url: str) -> UrlFetchTimedOut:
        return UrlFetchTimedOut(f"{url[:200]!r}: not fetched within {self.timeout_s:g} s")

    def _hop(
        self, client: httpx.Client, url: str, current: httpx.URL, deadline: Deadline
    ) -> FetchedMedia | httpx.URL:
        """One request: the media, or the URL a redirect points to."""
        ip, host_header = self._checked_target(current, deadline)
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

    def _checked_target(self, url: httpx.URL, deadline: Deadline) -> tuple[IpAddress, str]:
        """The address to connect to (every resolved address checked) and the Host header."""
        if url.scheme not in _DEFAULT_PORTS:
            raise UrlRefused(f"{url}: only http and https URLs are fetched")
        if not url.host:
            raise UrlRefused(f"{url}: no host")
        if url.userinfo:
            raise UrlRefused(f"{url.copy_with(username=None, password=None)}: credentials in URL")
        port = url.port or _DEFAULT_PORTS[url.scheme]
        host = url.host
        addresses = resolve_before(deadline, lambda: self._resolve(host, port))
        refused = [ip for ip in addresses if not self._is_allowed(ip)]
        if not addresses or refused:
            # The addresses stay in the log: telling the caller would map internal names.
            log.warning("url fetch refused: %s resolves to %s", url.host, refused or "nothing")
            raise UrlRefused(f"{url.host}: address not allowed (private, local or reserved)")
        netloc = url.netloc.decode("ascii")
        return addresses[0], netloc

    def _read(self, response: httpx.Response, where: str, deadline: Deadline) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise MediaTooLarge(where, f"{int(declared):,} bytes, over {self.max_bytes:,}")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise MediaTooLarge(where, f"more than {self.max_bytes:,} bytes")
            if deadline.passed():
                raise self._timed_out(where)
            chunks.append(chunk)
        return b"".join(chunks)
