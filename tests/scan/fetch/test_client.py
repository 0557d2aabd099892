"""One download at a time: limits, refusals, redirects and the cache, on a local server."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from soundproof.errors import FetchError
from soundproof.scan.fetch.client import content_type_problem
from soundproof.scan.fetch.network import system_resolve
from soundproof.scan.fetch.policy import IPAddress

from ..local_http import LocalServer, endless, redirect, send, trickle
from .conftest import MakeFetcher

AUDIO = b"RIFF" + bytes(range(256)) * 40


def _serve_audio(server: LocalServer, *paths: str, body: bytes = AUDIO) -> None:
    for path in paths:
        server.routes[path] = lambda h, body=body: send(h, body, "audio/wav")


# --------------------------------------------------------------------------- address policy


def test_loopback_is_refused_by_default_without_any_request(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    _serve_audio(server, "/a.wav")
    fetcher = make_fetcher(allowed_networks=())
    with pytest.raises(FetchError, match=r"127\.0\.0\.1 is a loopback address") as caught:
        fetcher.fetch(server.url("/a.wav"))
    assert "--allow-private-urls" in str(caught.value)
    assert server.hits["/a.wav"] == 0


def test_localhost_by_name_is_refused_too(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    _serve_audio(server, "/a.wav")
    with pytest.raises(FetchError, match=r"localhost resolves to .*loopback"):
        make_fetcher(allowed_networks=()).fetch(server.url("/a.wav", host="localhost"))
    assert server.hits["/a.wav"] == 0


def test_allow_private_fetches_from_loopback(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    _serve_audio(server, "/a.wav")
    fetched = make_fetcher(allowed_networks=(), allow_private=True).fetch(server.url("/a.wav"))
    assert fetched.path.read_bytes() == AUDIO
    assert (fetched.size, fetched.from_cache, fetched.content_type) == (
        len(AUDIO),
        False,
        "audio/wav",
    )


def test_connection_goes_to_the_checked_address_with_the_host_name_kept(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    """The name is resolved once, by the fetcher's resolver, and the socket is opened to
    that very address; the Host header still names the host (no second lookup: the
    made-up name does not exist in any DNS)."""
    _serve_audio(server, "/a.wav")
    lookups: list[str] = []

    def resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
        lookups.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    fetched = make_fetcher(resolve=resolve).fetch(server.url("/a.wav", host="audio.test"))
    assert fetched.path.read_bytes() == AUDIO
    assert lookups == ["audio.test"]
    assert server.host_headers == [f"audio.test:{server.port}"]


def test_a_host_with_one_private_address_among_public_ones_is_refused(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    def resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("10.9.8.7")]

    with pytest.raises(FetchError, match=r"resolves to 10\.9\.8\.7, a private address"):
        make_fetcher(resolve=resolve).fetch(server.url("/a.wav", host="mixed.test"))
    assert sum(server.hits.values()) == 0


def test_tls_is_verified_against_the_host_name_not_the_pinned_address(
    make_fetcher: MakeFetcher,
) -> None:
    """The TLS ClientHello sent to the pinned 127.0.0.1 names audio.test (SNI)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    hello = bytearray()

    def accept_once() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(2.0)
            with contextlib.suppress(OSError):
                hello.extend(conn.recv(4096))

    thread = threading.Thread(target=accept_once, daemon=True)
    thread.start()

    def resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")]

    try:
        with pytest.raises(FetchError):
            make_fetcher(resolve=resolve).fetch(f"https://audio.test:{port}/a.mp3")
    finally:
        thread.join(5)
        listener.close()
    assert hello[:1] == b"\x16"  # a TLS handshake record
    assert b"audio.test" in hello


# --------------------------------------------------------------------------- limits


def test_oversize_by_content_length_is_refused_before_the_body(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.routes["/big.wav"] = lambda h: send(h, b"\x00" * 200_000, "audio/wav")
    with pytest.raises(FetchError, match=r"the file is 0\.2 MB, over the 0\.1 MB download limit"):
        make_fetcher(max_bytes=100_000).fetch(server.url("/big.wav"))


def test_oversize_without_content_length_is_stopped_while_streaming(
    server: LocalServer, make_fetcher: MakeFetcher, tmp_path: Path
) -> None:
    server.routes["/live"] = endless()
    with pytest.raises(FetchError, match=r"passed the 0\.1 MB limit and was stopped"):
        make_fetcher(max_bytes=100_000).fetch(server.url("/live"))
    leftovers = list((tmp_path / "fetch-cache" / "tmp").iterdir())
    assert leftovers == []  # the partial download was removed
    assert list((tmp_path / "fetch-cache" / "objects").iterdir()) == []


def test_a_trickling_server_is_cut_off_at_the_deadline(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.routes["/slow.mp3"] = trickle(total_s=10.0)
    fetcher = make_fetcher(deadline_s=0.6, read_timeout_s=5.0)
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"longer than the 0\.6 s limit"):
        fetcher.fetch(server.url("/slow.mp3"))
    assert time.monotonic() - start < 3.0


def test_trickled_headers_are_cut_off_at_the_deadline_too(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    def slow_headers(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.0 200 OK\r\n")
        for i in range(200):
            handler.wfile.write(b"X-Pad-%d: x\r\n" % i)
            handler.wfile.flush()
            time.sleep(0.05)

    server.routes["/slow-headers"] = slow_headers
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"longer than the 0\.5 s limit"):
        make_fetcher(deadline_s=0.5, read_timeout_s=5.0).fetch(server.url("/slow-headers"))
    assert time.monotonic() - start < 3.0


def test_a_silent_server_hits_the_read_timeout(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    def stall(handler: object) -> None:
        time.sleep(2.0)

    server.routes["/stall"] = stall
    with pytest.raises(FetchError, match=r"sent nothing for 0\.3 s"):
        make_fetcher(read_timeout_s=0.3).fetch(server.url("/stall"))


# --------------------------------------------------------------------------- responses


def test_html_instead_of_audio_is_refused(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    server.routes["/preview.mp3"] = lambda h: send(h, b"<html>log in</html>", "text/html")
    with pytest.raises(FetchError, match="the server sent an HTML page, not audio"):
        make_fetcher().fetch(server.url("/preview.mp3"))


def test_not_found_is_reported_with_the_status(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    with pytest.raises(FetchError, match="the server answered 404 Not Found"):
        make_fetcher().fetch(server.url("/missing.mp3"))


def test_empty_body_is_refused(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    server.routes["/empty.mp3"] = lambda h: send(h, b"", "audio/mpeg")
    with pytest.raises(FetchError, match="empty response"):
        make_fetcher().fetch(server.url("/empty.mp3"))


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("audio/mpeg", True),
        ("audio/wav; charset=binary", True),
        ("video/mp4", True),
        ("application/ogg", True),
        ("application/octet-stream", True),
        ("binary/octet-stream", True),
        (None, True),
        ("text/html; charset=utf-8", False),
        ("application/json", False),
        ("application/problem+json", False),
        ("text/plain", False),
        ("image/png", False),
        ("audio/x-mpegurl", False),  # an M3U playlist, not audio
        ("application/vnd.apple.mpegurl", False),
        ("application/zip", False),
    ],
)
def test_content_types(header: str | None, accepted: bool) -> None:
    assert (content_type_problem(header) is None) is accepted


# --------------------------------------------------------------------------- redirects


def test_redirects_are_followed(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    _serve_audio(server, "/a.wav")
    server.routes["/go"] = redirect("/hop")
    server.routes["/hop"] = redirect(server.url("/a.wav"), status=307)
    fetched = make_fetcher().fetch(server.url("/go"))
    assert fetched.path.read_bytes() == AUDIO
    assert fetched.final_url == server.url("/a.wav")


def test_a_redirect_to_a_private_address_is_refused(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.routes["/go"] = redirect("http://10.1.2.3/internal-admin")
    with pytest.raises(FetchError, match=r"redirect to http://10\.1\.2\.3/.*a private address"):
        make_fetcher().fetch(server.url("/go"))
    assert server.hits["/go"] == 1


def test_a_redirect_to_another_scheme_is_refused(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    server.routes["/go"] = redirect("file:///etc/passwd")
    with pytest.raises(FetchError, match=r"refused redirect to file:///etc/passwd.*not 'file:'"):
        make_fetcher().fetch(server.url("/go"))


def test_a_redirect_loop_is_detected(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    server.routes["/a"] = redirect("/b")
    server.routes["/b"] = redirect("/a")
    with pytest.raises(FetchError, match="redirect loop"):
        make_fetcher().fetch(server.url("/a"))
    assert (server.hits["/a"], server.hits["/b"]) == (1, 1)


def test_more_than_five_redirects_are_refused(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    for i in range(7):
        server.routes[f"/r{i}"] = redirect(f"/r{i + 1}")
    _serve_audio(server, "/r7")
    with pytest.raises(FetchError, match=r"too many redirects \(more than 5\)"):
        make_fetcher(max_redirects=5).fetch(server.url("/r0"))
    assert server.hits["/r5"] == 1 and server.hits["/r6"] == 0


# --------------------------------------------------------------------------- cache


def test_a_cached_url_is_not_requested_again(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    _serve_audio(server, "/a.wav")
    first = make_fetcher().fetch(server.url("/a.wav"))
    second = make_fetcher().fetch(server.url("/a.wav"))  # a new fetcher, same cache
    assert server.hits["/a.wav"] == 1
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.path == first.path and second.sha256 == first.sha256


def test_a_copy_fetched_from_a_private_address_needs_the_allowance_again(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    _serve_audio(server, "/a.wav")
    allowed = make_fetcher(allowed_networks=(), allow_private=True).fetch(server.url("/a.wav"))
    with pytest.raises(FetchError, match="loopback"):
        make_fetcher(allowed_networks=()).fetch(server.url("/a.wav"))
    again = make_fetcher(allowed_networks=(), allow_private=True).fetch(server.url("/a.wav"))
    assert again.from_cache and again.path == allowed.path
    assert server.hits["/a.wav"] == 1


def test_urls_with_the_same_bytes_share_one_file(
    server: LocalServer, make_fetcher: MakeFetcher, tmp_path: Path
) -> None:
    _serve_audio(server, "/a.wav", "/mirror/a-copy.wav")
    _serve_audio(server, "/other.wav", body=AUDIO + b"!")
    fetcher = make_fetcher()
    one = fetcher.fetch(server.url("/a.wav"))
    two = fetcher.fetch(server.url("/mirror/a-copy.wav"))
    other = fetcher.fetch(server.url("/other.wav"))
    assert one.path == two.path and other.path != one.path
    objects = [p for p in (tmp_path / "fetch-cache" / "objects").rglob("*") if p.is_file()]
    assert len(objects) == 2
    assert one.path.name == one.sha256


def test_a_failed_download_is_not_cached(server: LocalServer, make_fetcher: MakeFetcher) -> None:
    server.routes["/flaky.wav"] = lambda h: send(h, b"<html>busy</html>", "text/html")
    fetcher = make_fetcher()
    with pytest.raises(FetchError):
        fetcher.fetch(server.url("/flaky.wav"))
    _serve_audio(server, "/flaky.wav")
    assert fetcher.fetch(server.url("/flaky.wav")).from_cache is False
    assert server.hits["/flaky.wav"] == 2


def test_a_cached_file_that_went_missing_is_downloaded_again(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    _serve_audio(server, "/a.wav")
    fetcher = make_fetcher()
    fetcher.fetch(server.url("/a.wav")).path.unlink()
    again = fetcher.fetch(server.url("/a.wav"))
    assert again.from_cache is False and again.path.read_bytes() == AUDIO
    assert server.hits["/a.wav"] == 2


def test_cache_entries_expire_when_a_max_age_is_set(
    server: LocalServer, make_fetcher: MakeFetcher
) -> None:
    _serve_audio(server, "/a.wav")
    make_fetcher().fetch(server.url("/a.wav"))
    assert make_fetcher(cache_max_age_s=1e-9).fetch(server.url("/a.wav")).from_cache is False
    assert server.hits["/a.wav"] == 2


# --------------------------------------------------------------------------- resolver


def test_dns_failure_is_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(FetchError, match=r"cannot resolve the host no\.such\.host: Name or"):
        system_resolve("no.such.host", 80, 1.0)


def test_a_hanging_dns_lookup_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    def hang(*args: object, **kwargs: object) -> object:
        time.sleep(2.0)
        raise socket.gaierror(socket.EAI_AGAIN, "late")

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"looking up the host slow\.dns timed out"):
        system_resolve("slow.dns", 80, 0.2)
    assert time.monotonic() - start < 1.5


def test_ip_literals_are_not_looked_up() -> None:
    assert system_resolve("[::1]", 80, 0.1) == [ipaddress.ip_address("::1")]
    assert system_resolve("10.0.0.1", 80, 0.1) == [ipaddress.ip_address("10.0.0.1")]
