"""Download one URL into the cache, within DESIGN.md's limits: :class:`Fetcher`.

What :meth:`Fetcher.fetch` does, in order:

1. Refuses anything but an http(s) URL (:func:`~soundproof.scan.fetch.policy.check_url`).
2. Returns the cached copy if the URL was fetched before (no request at all), provided
   the addresses it was fetched from pass today's policy.
3. Sends a GET through a :class:`~soundproof.scan.fetch.network.PinnedTransport`, which
   resolves the host, checks every address against the
   :class:`~soundproof.scan.fetch.policy.AddressPolicy` and connects to a checked one.
4. Follows redirects itself, at most ``max_redirects``; each hop's URL is checked
   again (scheme here, addresses in the transport), and a URL met twice is a loop.
5. Accepts only a 200 whose Content-Type can be audio (:func:`content_type_problem`):
   an HTML page (a login wall, an expired preview link) is refused with a message
   saying so rather than handed to the decoder.
6. Streams the body to a temporary file while hashing and counting it, refusing early
   on a Content-Length over ``max_bytes`` and stopping as soon as the streamed bytes
   pass it (a server may omit the length or lie; a live radio stream never ends).
7. Moves the file into the content-addressed cache and records the URL.

The whole download, redirects included, runs under one deadline (``deadline_s``),
besides the per-wait connect and read timeouts. Every failure is a
:class:`~soundproof.errors.FetchError` whose message is for the user; nothing is cached
for a URL whose download failed.

A :class:`Fetcher` is safe to use from several threads at once (the scan runs a few
downloads side by side); connections to the same host are reused.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from soundproof import __version__
from soundproof.config import Settings, get_settings
from soundproof.errors import FetchError
from soundproof.scan.fetch.cache import FetchCache
from soundproof.scan.fetch.network import (
    DeadlineExceededError,
    PinnedBackend,
    PinnedTransport,
    Resolver,
    deadline_scope,
    system_resolve,
)
from soundproof.scan.fetch.policy import AddressPolicy, IPNetwork, check_url, parse_networks

CHUNK_BYTES = 64 * 1024

ACCEPTED_TYPES = frozenset(
    {
        "application/octet-stream",
        "binary/octet-stream",  # what some object stores send for any upload
        "application/ogg",
        "application/x-ogg",
        "application/mp4",
        "application/x-flac",
        "application/flac",
        "application/x-wav",
        "application/download",
        "application/force-download",
    }
)
"""Content types accepted besides ``audio/*`` and ``video/*`` (a video container may hold
the track's audio; the decoder decides)."""

PLAYLIST_TYPES = frozenset(
    {
        "audio/x-mpegurl",
        "audio/mpegurl",
        "application/x-mpegurl",
        "application/vnd.apple.mpegurl",
        "audio/x-scpls",
        "application/pls+xml",
        "application/xspf+xml",
        "application/dash+xml",
    }
)
"""Playlists and streaming manifests: text that lists audio, not audio (some are ``audio/*``)."""


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """The limits and the address policy of a :class:`Fetcher` (defaults as in Settings)."""

    max_bytes: int = 100_000_000
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    deadline_s: float = 120.0
    max_redirects: int = 5
    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    cache_max_age_s: float = 0.0

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, *, allow_private: bool = False
    ) -> FetchOptions:
        """The options configured by ``SOUNDPROOF_FETCH_*``; ``allow_private`` can only add."""
        s = settings or get_settings()
        return cls(
            max_bytes=s.fetch_max_bytes,
            connect_timeout_s=s.fetch_connect_timeout_s,
            read_timeout_s=s.fetch_read_timeout_s,
            deadline_s=s.fetch_deadline_s,
            max_redirects=s.fetch_max_redirects,
            allow_private=allow_private or s.fetch_allow_private,
            allowed_networks=parse_networks(s.fetch_allow_networks),
            cache_max_age_s=s.fetch_cache_max_age_s,
        )

    @property
    def policy(self) -> AddressPolicy:
        return AddressPolicy(self.allow_private, self.allowed_networks)


@dataclass(frozen=True, slots=True)
class Fetched:
    """A URL's bytes on disk: ``path`` is the cached file to analyse."""

    url: str
    path: Path
    sha256: str
    size: int
    final_url: str
    content_type: str | None
    from_cache: bool


def default_cache_dir() -> Path:
    """``$SOUNDPROOF_HOME/cache/fetch``."""
    return get_settings().cache_dir / "fetch"


def content_type_problem(header: str | None) -> str | None:
    """Why a response with this Content-Type is not taken as audio, or None if it is.

    No header at all is accepted (the decoder will tell). Otherwise audio, video and a
    few generic binary types pass; text, HTML, JSON, images and playlists do not.
    """
    if not header:
        return None
    mime = header.split(";", 1)[0].strip().lower()
    if mime in PLAYLIST_TYPES:
        what = "a playlist or streaming manifest"
    elif mime.startswith(("audio/", "video/")) or mime in ACCEPTED_TYPES:
        return None
    elif mime in ("text/html", "application/xhtml+xml"):
        what = "an HTML page"
    elif mime == "application/json" or mime.endswith("+json"):
        what = "JSON"
    elif mime.endswith(("/xml", "+xml")):
        what = "an XML document"
    elif mime.startswith("text/"):
        what = "a text document"
    elif mime.startswith("image/"):
        what = "an image"
    else:
        what = "something else"
    return f"the server sent {what}, not audio (Content-Type: {mime})"


class _RedirectError(FetchError):
    """A redirect refused before it was followed; its message names the URLs already."""


def _peer_address(response: httpx.Response) -> str:
    """The IP address the response came from ("" if the transport does not say)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    return str(peer[0]) if peer else ""


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:g} MB"


class Fetcher:
    """Downloads URLs into the cache under an address policy and size and time limits.

    ``resolve`` replaces the system resolver (tests map made-up names to 127.0.0.1);
    ``cache_dir`` defaults to ``$SOUNDPROOF_HOME/cache/fetch``. Use as a context
    manager, or call :meth:`close`.
    """

    def __init__(
        self,
        options: FetchOptions | None = None,
        *,
        cache_dir: Path | None = None,
        resolve: Resolver = system_resolve,
        max_connections: int = 16,
    ) -> None:
        self.options = options or FetchOptions.from_settings()
        self.cache = FetchCache(cache_dir or default_cache_dir())
        self._backend = PinnedBackend(self.options.policy, resolve)
        timeout = httpx.Timeout(
            connect=self.options.connect_timeout_s,
            read=self.options.read_timeout_s,
            write=self.options.read_timeout_s,
            pool=self.options.deadline_s,
        )
        self._client = httpx.Client(
            transport=PinnedTransport(self._backend, max_connections=max_connections),
            follow_redirects=False,  # followed by hand, each hop checked
            trust_env=False,
            timeout=timeout,
            headers={
                "User-Agent": f"soundproof/{__version__} (audio scan)",
                "Accept": "audio/*, application/ogg, video/*;q=0.8, */*;q=0.1",
                "Accept-Encoding": "identity",  # audio does not compress; no zip bombs
            },
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections (a download still running fails)."""
        self._client.close()

    def abort(self) -> None:
        """Stop every download in flight now and refuse new ones (from any thread)."""
        self._backend.abort()

    def fetch(self, url: str) -> Fetched:
        """The URL's bytes in the cache, downloaded now unless cached before.

        Raises :class:`~soundproof.errors.FetchError` with a message for the user.
        """
        parsed = check_url(url)
        cached = self.cache.lookup(url, max_age_s=self.options.cache_max_age_s)
        if cached is not None and self._allowed_now(cached.addresses):
            return Fetched(
                url=url,
                path=cached.path,
                sha256=cached.sha256,
                size=cached.size,
                final_url=cached.final_url,
                content_type=cached.content_type,
                from_cache=True,
            )
        deadline = time.monotonic() + self.options.deadline_s
        with deadline_scope(deadline):
            try:
                return self._download(url, parsed)
            except DeadlineExceededError:
                raise FetchError(
                    f"the download took longer than the {self.options.deadline_s:g} s limit; "
                    "stopped (a slow server or a live stream?)"
                ) from None

    def _allowed_now(self, addresses: tuple[str, ...]) -> bool:
        """Whether a copy received from ``addresses`` may be served under today's policy."""
        if self.options.allow_private:
            return True
        try:
            parsed = [ipaddress.ip_address(address) for address in addresses]
        except ValueError:
            return False
        policy = self.options.policy
        return bool(parsed) and all(policy.problem(address) is None for address in parsed)

    def _download(self, url: str, parsed: httpx.URL) -> Fetched:
        """Follow redirects by hand, then stream the final response into the cache."""
        current = parsed
        seen = {str(parsed)}
        addresses: list[str] = []  # the server address of each hop, kept in the cache
        for _hop in range(self.options.max_redirects + 1):
            try:
                with self._client.stream("GET", current) as response:
                    addresses.append(_peer_address(response))
                    if response.is_redirect:
                        current = self._next_hop(current, response, seen)
                        continue
                    return self._save(url, current, response, tuple(addresses))
            except FetchError as exc:
                if current is parsed or isinstance(exc, DeadlineExceededError | _RedirectError):
                    raise
                raise FetchError(f"after a redirect to {current}: {exc}") from None
            except httpx.HTTPError as exc:
                message = self._describe(exc, current, redirected=current is not parsed)
                raise FetchError(message) from None
        raise FetchError(f"too many redirects (more than {self.options.max_redirects})")

    @staticmethod
    def _next_hop(current: httpx.URL, response: httpx.Response, seen: set[str]) -> httpx.URL:
        """The redirect's target, checked for scheme and loops (addresses on connect)."""
        location = response.headers["location"]
        try:
            target = current.join(location)
        except (httpx.InvalidURL, ValueError) as exc:
            raise _RedirectError(f"the server redirected to an invalid URL {location!r}") from exc
        try:
            check_url(str(target))
        except FetchError as exc:
            raise _RedirectError(f"refused redirect to {location}: {exc}") from None
        if str(target) in seen:
            raise _RedirectError(f"redirect loop: {current} redirects back to {target}")
        seen.add(str(target))
        return target

    def _save(
        self,
        url: str,
        current: httpx.URL,
        response: httpx.Response,
        addresses: tuple[str, ...],
    ) -> Fetched:
        """Check status, type and length, then stream the body into the cache."""
        if response.status_code != 200:
            reason = response.reason_phrase or "error"
            raise FetchError(f"the server answered {response.status_code} {reason}")
        content_type = response.headers.get("content-type")
        problem = content_type_problem(content_type)
        if problem is not None:
            raise FetchError(problem)
        limit = self.options.max_bytes
        declared = response.headers.get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            raise FetchError(
                f"the file is {_megabytes(int(declared))}, over the {_megabytes(limit)} "
                "download limit (SOUNDPROOF_FETCH_MAX_BYTES)"
            )
        handle, temp = self.cache.temp_file()
        try:
            digest = hashlib.sha256()
            size = 0
            with handle:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(
                            f"the download passed the {_megabytes(limit)} limit and was "
                            "stopped (SOUNDPROOF_FETCH_MAX_BYTES; a live stream?)"
                        )
                    digest.update(chunk)
                    handle.write(chunk)
            if size == 0:
                raise FetchError("the server sent an empty response (0 bytes)")
            entry = self.cache.store(
                url,
                temp,
                sha256=digest.hexdigest(),
                size=size,
                final_url=str(current),
                content_type=content_type,
                addresses=addresses,
            )
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return Fetched(
            url=url,
            path=entry.path,
            sha256=entry.sha256,
            size=entry.size,
            final_url=entry.final_url,
            content_type=content_type,
            from_cache=False,
        )

    def _describe(self, exc: httpx.HTTPError, url: httpx.URL, *, redirected: bool) -> str:
        """A one-line message for an httpx failure (timeouts, refused connections, TLS)."""
        host = url.host
        if isinstance(exc, httpx.ConnectTimeout):
            message = f"connecting to {host} timed out (after {self.options.connect_timeout_s:g} s)"
        elif isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
            message = (
                f"the server {host} sent nothing for {self.options.read_timeout_s:g} s; stopped"
            )
        elif isinstance(exc, httpx.ConnectError):
            text = str(exc)
            if "CERTIFICATE" in text.upper() or "SSL" in text.upper():
                message = f"TLS error with {host}: {text}"
            else:
                message = f"cannot connect to {host}: {text or type(exc).__name__}"
        elif isinstance(exc, httpx.RemoteProtocolError):
            message = f"the server {host} broke the HTTP protocol: {exc}"
        else:
            message = f"the download from {host} failed: {exc or type(exc).__name__}"
        return f"after a redirect to {url}: {message}" if redirected else message


__all__ = [
    "ACCEPTED_TYPES",
    "CHUNK_BYTES",
    "PLAYLIST_TYPES",
    "FetchOptions",
    "Fetched",
    "Fetcher",
    "content_type_problem",
    "default_cache_dir",
]
