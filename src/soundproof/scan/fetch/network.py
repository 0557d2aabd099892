"""The fetcher's network layer: resolve, check, then connect to the checked address.

Why a network backend of our own
--------------------------------
Checking a URL's host and then handing the URL to an HTTP client is not enough: the
client resolves the name again when it connects, and a hostile DNS server can answer
the check with a public address and the connection with ``127.0.0.1`` (DNS
rebinding). So the check and the connection happen in one place, here:

:class:`PinnedBackend` is an ``httpcore`` network backend, the layer that turns
(host, port) into a socket. Its :meth:`~PinnedBackend.connect_tcp` resolves the host
itself (:func:`system_resolve`), refuses the host if *any* of its addresses is refused
by the :class:`~soundproof.scan.fetch.policy.AddressPolicy`, and then opens the socket
to one of exactly those addresses (as an IP literal, so nothing resolves the name a
second time). Every connection goes through it, including those made for redirects.

The HTTP layer above is unchanged: httpx still builds the ``Host`` header from the URL,
and httpcore still starts TLS with ``server_hostname`` set to the URL's host, so SNI
and certificate verification are done against the host name, not the pinned IP.
:class:`PinnedTransport` is an ``httpx.HTTPTransport`` whose connection pool is
rebuilt with this backend (httpx has no public switch for it), with environment
proxies ignored: a proxy would make the connection to the proxy, not to the checked
address.

Deadlines
---------
httpx's timeouts bound each wait (connect, one read), not a whole download, so a server
that trickles a byte every few seconds would never time out. The overall deadline of
the current download is kept per thread (:func:`deadline_scope`) and every socket
operation of :class:`_GuardedStream` waits at most until it: a trickling server is cut
off at the deadline wherever it is (headers, body, TLS handshake). A DNS lookup, which
has no timeout of its own, runs in a helper thread that is waited for no longer.

:meth:`PinnedBackend.abort` shuts down every open socket, so that a scan stopped early
(Ctrl-C, a consumer that closes the generator) does not wait for downloads in flight.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from soundproof.errors import FetchError
from soundproof.scan.fetch.policy import AddressPolicy, IPAddress

Resolver = Callable[[str, int, float | None], list[IPAddress]]
"""Resolves (host, port, timeout in seconds) to the host's addresses, in preference order."""


class DeadlineExceededError(FetchError):
    """The download's overall deadline passed (the client rewords it with the limit)."""

    def __init__(self) -> None:
        super().__init__("the download took longer than its time limit")


class DownloadCancelledError(FetchError):
    """The fetcher was aborted while this download was in flight."""

    def __init__(self) -> None:
        super().__init__("the download was cancelled (the scan stopped)")


# --------------------------------------------------------------------------- deadline

_local = threading.local()


@contextmanager
def deadline_scope(deadline: float | None) -> Iterator[None]:
    """Make ``deadline`` (a :func:`time.monotonic` instant) bind this thread's socket I/O."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = previous


def current_deadline() -> float | None:
    """The deadline set by the innermost :func:`deadline_scope` of this thread, if any."""
    deadline: float | None = getattr(_local, "deadline", None)
    return deadline


def remaining_time(timeout: float | None) -> float | None:
    """``timeout`` shortened to what is left before this thread's deadline.

    Raises :class:`DeadlineExceededError` once the deadline has passed.
    """
    deadline = current_deadline()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceededError()
    return left if timeout is None else min(timeout, left)


def _deadline_passed() -> bool:
    deadline = current_deadline()
    return deadline is not None and time.monotonic() >= deadline


# --------------------------------------------------------------------------- resolver


def system_resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
    """The addresses of ``host`` from the system resolver, without waiting past ``timeout``.

    An IP literal is returned as is. The lookup runs in a daemon thread because
    ``getaddrinfo`` cannot be given a timeout; one that never answers is abandoned.
    """
    literal = _ip_literal(host)
    if literal is not None:
        return [literal]
    outcome: list[Any] = []

    def lookup() -> None:
        try:
            outcome.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            outcome.append(exc)

    thread = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise FetchError(f"looking up the host {host} timed out")
    result = outcome[0]
    if isinstance(result, BaseException):
        reason = getattr(result, "strerror", None) or str(result)
        raise FetchError(f"cannot resolve the host {host}: {reason}")
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in result:
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(f"cannot resolve the host {host}: no address")
    return addresses


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


# --------------------------------------------------------------------------- backend


class PinnedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the policy accepted, resolved here and nowhere else."""

    def __init__(self, policy: AddressPolicy, resolve: Resolver = system_resolve) -> None:
        self._policy = policy
        self._resolve = resolve
        self._inner = httpcore.SyncBackend()
        self._streams: weakref.WeakSet[_GuardedStream] = weakref.WeakSet()
        self._lock = threading.Lock()
        self.aborted = False

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Resolve ``host``, refuse it if any address is refused, connect to a checked one."""
        if self.aborted:
            raise DownloadCancelledError()
        addresses = self._resolve(host, port, remaining_time(timeout))
        self._policy.check(host, addresses)
        failure: Exception | None = None
        for address in addresses:  # the resolver's order; fall back on failure
            try:
                stream = self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=remaining_time(timeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                if _deadline_passed():
                    raise DeadlineExceededError() from None
                failure = exc
                continue
            return self.guard(stream)
        assert failure is not None  # the resolver returns at least one address
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Never used: URLs name TCP hosts only."""
        raise FetchError("unix sockets are not fetched from")

    def sleep(self, seconds: float) -> None:
        """Used by httpcore between retries (there are none); honours the deadline."""
        time.sleep(min(seconds, remaining_time(seconds) or 0.0))

    def guard(self, stream: httpcore.NetworkStream) -> _GuardedStream:
        """Wrap ``stream`` so that its I/O honours the deadline and :meth:`abort`."""
        guarded = _GuardedStream(stream, self)
        with self._lock:
            self._streams.add(guarded)
        return guarded

    def forget(self, stream: _GuardedStream) -> None:
        with self._lock:
            self._streams.discard(stream)

    def abort(self) -> None:
        """Refuse new connections and shut down every open one (wakes blocked reads)."""
        self.aborted = True
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            stream.shutdown()


class _GuardedStream(httpcore.NetworkStream):
    """A socket stream whose every wait ends by the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, backend: PinnedBackend) -> None:
        self._inner = inner
        self._backend = backend

    def _budget(self, timeout: float | None) -> float | None:
        if self._backend.aborted:
            raise DownloadCancelledError()
        return remaining_time(timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._inner.read(max_bytes, self._budget(timeout))
        except httpcore.ReadTimeout:
            if _deadline_passed():
                raise DeadlineExceededError() from None
            raise
        except httpcore.ReadError:
            if self._backend.aborted:
                raise DownloadCancelledError() from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._inner.write(buffer, self._budget(timeout))
        except httpcore.WriteTimeout:
            if _deadline_passed():
                raise DeadlineExceededError() from None
            raise

    def close(self) -> None:
        self._backend.forget(self)
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        """TLS on top of this connection, verified against ``server_hostname`` (the URL's)."""
        try:
            tls = self._inner.start_tls(ssl_context, server_hostname, self._budget(timeout))
        except httpcore.ConnectTimeout:
            if _deadline_passed():
                raise DeadlineExceededError() from None
            raise
        finally:
            self._backend.forget(self)  # the TLS stream now owns the socket
        return self._backend.guard(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    def shutdown(self) -> None:
        """Shut the socket down from another thread, so a blocked read returns at once."""
        sock = self._inner.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            # The plain-socket method on purpose: SSLSocket.shutdown would also tear
            # down TLS state that the reading thread is using.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


# --------------------------------------------------------------------------- transport


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections all go through a :class:`PinnedBackend`.

    httpx does not let a caller choose httpcore's network backend, so the transport is
    built as usual (``trust_env=False``: no proxies from the environment, see the module
    docstring) and its connection pool is then replaced by one with the backend. The
    pool is the transport's ``_pool`` attribute in httpx 0.28; the check below fails
    loudly if a later httpx changes that, instead of silently losing the pinning.
    """

    def __init__(
        self,
        backend: PinnedBackend,
        *,
        max_connections: int = 16,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(trust_env=False, retries=0)
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("this httpx version keeps its connection pool elsewhere")
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            # Certificates are verified (certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR).
            ssl_context=ssl_context or httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            retries=0,
            network_backend=backend,
        )


__all__ = [
    "DeadlineExceededError",
    "DownloadCancelledError",
    "PinnedBackend",
    "PinnedTransport",
    "Resolver",
    "current_deadline",
    "deadline_scope",
    "remaining_time",
    "system_resolve",
]
