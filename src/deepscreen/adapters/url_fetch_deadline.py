"""One deadline for a whole URL fetch — name resolution, connect, TLS, headers and body — where
httpx's timeouts bound only each socket operation: ``DeadlineBackend``, ``DeadlineTransport``,
a watchdog and ``resolve_before`` (docs/internals/service.md)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpcore
import httpx

from deepscreen.core.errors import UrlFetchTimedOut

T = TypeVar("T")

# httpcore's errors as httpx's, most specific first (the fetcher reads httpx's tree only).
_HTTPX_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.ConnectionNotAvailable, httpx.TransportError),
)


class Deadline:
    """The monotonic time by which one fetch must end, and the watchdog that enforces it on
    the fetch's sockets. ``close()`` when the fetch ends (it stops the watchdog)."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.at = clock() + seconds
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._timer: threading.Timer | None = None
        self._closed = False

    def remaining(self) -> float:
        return self.at - self._clock()

    def passed(self) -> bool:
        return self.remaining() <= 0

    def bound(self, requested: float | None, expired: Callable[[str], Exception]) -> float:
        """``requested`` (None: unbounded) cut to the time left; ``expired`` is raised once
        the deadline has passed (an operation with no time left is not started)."""
        left = self.remaining()
        if left <= 0:
            raise expired(f"the fetch's {self.seconds:g} s deadline has passed")
        return left if requested is None else min(requested, left)

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down when the deadline passes, which ends any read or handshake
        blocked on it. A duplicate descriptor is watched: TLS detaches the original socket
        object, and a duplicate can never name a descriptor reused by someone else."""
        with self._lock:
            duplicate = sock.dup()
            self._watched.append(duplicate)
            if self._closed:
                _shut(duplicate)
            elif self._timer is None:
                self._timer = threading.Timer(max(0.0, self.remaining()), self._expire)
                self._timer.daemon = True
                self._timer.name = "url-fetch-watchdog"
                self._timer.start()

    def close(self) -> None:
        """The fetch ended: stop the watchdog and let go of the watched descriptors."""
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
            watched, self._watched = self._watched, []
        if timer is not None:
            timer.cancel()
        for duplicate in watched:
            duplicate.close()

    def _expire(self) -> None:
        with self._lock:  # under the lock: never after close() has returned
            if not self._closed:
                for duplicate in self._watched:
                    _shut(duplicate)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed or never connected
        pass


def resolve_before(deadline: Deadline, resolve: Callable[[], T]) -> T:
    """``resolve()`` if it returns before the deadline, else ``UrlFetchTimedOut``. It runs on a
    daemon thread that is abandoned at the deadline: ``getaddrinfo`` cannot be interrupted and
    ends on the system resolver's own timeout."""
    outcome: list[Any] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append((True, resolve()))
        except BaseException as exc:  # handed to the waiting thread
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=run, name="url-fetch-resolve", daemon=True).start()
    if not done.wait(max(0.0, deadline.remaining())):
        raise UrlFetchTimedOut(f"name resolution took longer than {deadline.seconds:g} s")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = self._deadline.bound(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """TCP connections made within the deadline, watched by it, as ``DeadlineStream``s."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = self._deadline.bound(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, left, local_address, socket_options)
        sock = stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            self._deadline.watch(sock)
        return DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.UnsupportedProtocol("media URLs are fetched over TCP only")

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, max(0.0, self._deadline.remaining())))


class DeadlineTransport(httpx.BaseTransport):
    """An httpx transport whose connections all end by one ``Deadline`` (no proxies, no
    environment: the fetcher connects to the address it checked, and nowhere else)."""

    def __init__(self, deadline: Deadline, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context if ssl_context is not None else httpx.create_ssl_context(),
            network_backend=DeadlineBackend(deadline),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors(request):
            response = self._pool.handle_request(core_request)
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream, request),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes], request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors(self._request):
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        mapped = next((to for cls, to in _HTTPX_ERRORS if isinstance(exc, cls)), None)
        if mapped is None:
            raise
        raise mapped(str(exc) or type(exc).__name__, request=request) from exc
