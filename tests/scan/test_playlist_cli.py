"""``soundproof scan PLAYLIST --format jsonl`` end to end, on tiny WAV files made here."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from ..cli.test_scan_cli import assert_contract, invoke, rows_of
from .local_http import LocalServer, send


def _write_wav(path: Path, seconds: float, seed: int) -> Path:
    """A short mono 16-bit WAV: a tone plus a little noise (what it sounds like is irrelevant)."""
    rate = 22_050
    t = np.arange(round(rate * seconds)) / rate
    noise = np.random.default_rng(seed).standard_normal(t.size)
    samples = 0.4 * np.sin(2 * np.pi * (330 + 110 * seed) * t) + 0.02 * noise
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.round(samples * 32767).astype("<i2").tobytes())
    return path


def test_scan_of_a_playlist_writes_its_metadata_into_the_rows(tmp_path: Path) -> None:
    one = _write_wav(tmp_path / "one.wav", 2.0, seed=0)
    two = _write_wav(tmp_path / "sub" / "two.wav", 2.0, seed=1)
    csv_list = tmp_path / "tracks.csv"
    csv_list.write_text(
        "path,title,artist,isrc\r\none.wav,Csv Title,Csv Artist,US-RC1-76-07839\r\n",
        encoding="utf-8",
    )
    playlist = tmp_path / "mix.m3u"
    playlist.write_text(
        "#EXTM3U\r\n"
        "#EXTINF:2,Artist One - Title One\r\n"
        "one.wav\r\n"
        "#EXTINF:2,Artist Two - Title Two\r\n"
        "sub\\two.wav\r\n"
        "#EXTINF:-1,Live Radio\r\n"
        "http://127.0.0.1:9/stream\r\n"
        "tracks.csv\r\n",
        encoding="utf-8",
    )
    result = invoke("scan", playlist, "--format", "jsonl", "--no-progress")
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    for row in rows:
        assert_contract(row)
    fields = ("path", "title", "artist", "isrc", "source", "platform", "position")
    assert [tuple(row[f] for f in fields) for row in rows] == [
        (str(one), "Title One", "Artist One", None, str(playlist), "m3u", 1),
        (str(two), "Title Two", "Artist Two", None, str(playlist), "m3u", 2),
        ("http://127.0.0.1:9/stream", "Live Radio", None, None, str(playlist), "m3u", 3),
        (str(one), "Csv Title", "Csv Artist", "USRC17607839", str(csv_list), "csv", 1),
    ]
    assert [row["verdict"] == "error" for row in rows] == [False, False, True, False]
    assert "loopback" in rows[2]["error"]  # URLs on this machine need --allow-private-urls
    assert "4 tracks" in result.stderr


def _url_playlist(tmp_path: Path, server: LocalServer) -> Path:
    """An extended M3U naming one WAV served by ``server`` over http://127.0.0.1."""
    body = _write_wav(tmp_path / "served.wav", 2.0, seed=2).read_bytes()
    server.routes["/tracks/tone.wav"] = lambda h: send(h, body, "audio/wav")
    playlist = tmp_path / "web.m3u"
    playlist.write_text(
        f"#EXTM3U\n#EXTINF:2,Web Artist - Web Title\n{server.url('/tracks/tone.wav')}\n",
        encoding="utf-8",
    )
    return playlist


def test_scan_downloads_url_entries_with_allow_private_urls(tmp_path: Path) -> None:
    with LocalServer() as server:
        playlist = _url_playlist(tmp_path, server)
        url = server.url("/tracks/tone.wav")
        args = ("scan", playlist, "--allow-private-urls", "--format", "jsonl", "--no-progress")
        first = invoke(*args)
        again = invoke(*args)
    assert first.exit_code == 0, first.output
    [row] = rows_of(first.stdout)
    assert_contract(row)
    assert row["path"] == url
    assert row["verdict"] in {"ai", "human", "uncertain"} and row["error"] is None
    assert row["duration_s"] == 2.0
    fields = ("title", "artist", "source", "platform", "position")
    assert tuple(row[f] for f in fields) == ("Web Title", "Web Artist", str(playlist), "m3u", 1)
    # The second scan reads the cached copy: the server saw one request.
    assert again.exit_code == 0, again.output
    assert rows_of(again.stdout)[0]["path"] == url
    assert server.hits["/tracks/tone.wav"] == 1


def test_scan_refuses_loopback_urls_without_the_flag(tmp_path: Path) -> None:
    with LocalServer() as server:
        playlist = _url_playlist(tmp_path, server)
        result = invoke("scan", playlist, "--format", "jsonl", "--no-progress")
    assert result.exit_code == 2  # no usable input
    [row] = rows_of(result.stdout)
    assert_contract(row)
    assert row["path"] == server.url("/tracks/tone.wav") and row["verdict"] == "error"
    assert "loopback" in row["error"] and "--allow-private-urls" in row["error"]
    assert row["title"] == "Web Title"
    assert server.hits["/tracks/tone.wav"] == 0


def test_a_broken_playlist_is_one_error_row_and_exit_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    result = invoke("scan", junk, "--format", "jsonl", "--no-progress")
    assert result.exit_code == 2
    [row] = rows_of(result.stdout)
    assert_contract(row)
    assert row["path"] == str(junk) and row["verdict"] == "error"
    assert "not valid JSON" in row["error"]


def test_scan_help_mentions_playlists() -> None:
    result = invoke("scan", "--help")
    assert result.exit_code == 0
    assert "playlist" in result.stdout and "M3U" in result.stdout
