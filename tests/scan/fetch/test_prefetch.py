"""The scan's side of fetching: downloads ahead of the analysis, in order, failures as errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from soundproof.scan.fetch.prefetch import fetch_remote
from soundproof.scan.source import Source

from ..local_http import LocalServer, send, trickle
from .conftest import MakeFetcher


def _remote(url: str, **metadata: object) -> Source:
    return Source(url, remote=True, **metadata)  # type: ignore[arg-type]


def test_sources_keep_their_order_and_each_url_is_downloaded_once(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.routes["/a.wav"] = lambda h: send(h, b"A" * 1000, "audio/wav")
    server.routes["/slow.wav"] = lambda h: (time.sleep(0.3), send(h, b"S" * 10, "audio/wav"))
    sources = [
        _remote(server.url("/slow.wav"), title="Slow"),
        Source("/music/local.flac"),
        _remote(server.url("/a.wav"), title="A", position=3),
        Source("/music/missing.flac", error="no such file"),
        _remote(server.url("/a.wav"), title="A again"),
        _remote(server.url("/gone.wav")),
    ]
    out = list(fetch_remote(sources, fetcher=make_fetcher(), concurrency=3))
    assert [s.path for s in out] == [s.path for s in sources]
    assert [s.title for s in out] == ["Slow", None, "A", None, "A again", None]
    assert out[1] == sources[1] and out[3] == sources[3]  # local and error: untouched
    assert out[2].local is not None and out[2].local == out[4].local
    assert out[2].error is None and out[2].position == 3
    assert out[0].local is not None and out[0].local != out[2].local
    assert out[5].local is None and out[5].error == "the server answered 404 Not Found"
    assert server.hits["/a.wav"] == 1


def test_a_scan_without_urls_is_not_read_ahead() -> None:
    pulled = 0

    def local_sources() -> Iterator[Source]:
        nonlocal pulled
        for i in range(100):
            pulled += 1
            yield Source(f"/music/{i}.flac")

    stream = fetch_remote(local_sources())
    assert next(stream).path == "/music/0.flac"
    assert pulled == 1
    stream.close()


def test_closing_early_stops_downloads_in_flight(server: LocalServer) -> None:
    server.routes["/fast.mp3"] = lambda h: send(h, b"F" * 100, "audio/mpeg")
    server.routes["/endless.mp3"] = trickle(total_s=20.0)
    sources = [_remote(server.url("/fast.mp3")), _remote(server.url("/endless.mp3"))]
    stream = fetch_remote(sources, allow_private=True)
    first = next(stream)  # the second download starts while the first is awaited
    assert first.local is not None
    deadline = time.monotonic() + 5
    while server.hits["/endless.mp3"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    start = time.monotonic()
    stream.close()
    while _fetch_threads() and time.monotonic() - start < 5:
        time.sleep(0.02)
    assert not _fetch_threads()
    assert time.monotonic() - start < 3


def _fetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("soundproof-fetch")]
