"""Choosing the parser, and bad input of every kind: one error source, never an exception."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from soundproof.scan.playlists import PLAYLIST_EXTENSIONS, dispatch, document, is_playlist_name
from soundproof.scan.source import Source

from .helpers import only_error, read


def test_playlist_names() -> None:
    assert {".m3u", ".m3u8", ".pls", ".xspf", ".csv", ".json", ".xml"} == PLAYLIST_EXTENSIONS
    assert is_playlist_name("Mix.M3U8") and is_playlist_name("a/b.Json")
    assert not is_playlist_name("song.mp3") and not is_playlist_name("m3u")


def test_json_and_xml_are_told_apart_by_content(tmp_path: Path) -> None:
    spotify = tmp_path / "a.json"
    spotify.write_text(json.dumps({"items": [{"track": None}]}), encoding="utf-8")
    deezer = tmp_path / "b.json"
    deezer.write_bytes(json.dumps({"data": [{"preview": "", "title": "T"}]}).encode("utf-16"))
    xspf = tmp_path / "c.xml"
    xspf.write_text(
        '<playlist xmlns="http://xspf.org/ns/0/"><trackList><track><location>x.wav</location>'
        "</track></trackList></playlist>",
        encoding="utf-8",
    )
    assert [s.platform for s in read(spotify)] == ["spotify"]
    assert [s.platform for s in read(deezer)] == ["deezer"]
    assert [(s.platform, s.path) for s in read(xspf)] == [("xspf", str(tmp_path / "x.wav"))]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([1, 2, 3], "found a JSON list"),
        ({"songs": [], "owner": "me"}, "found an object with keys: owner, songs"),
        ({"data": [{"type": "playlist", "title": "x"}]}, "unknown JSON shape"),  # a playlists page
        ({"error": {"status": 401, "message": "The access token expired"}}, "access token expired"),
        (
            {"error": {"type": "DataException", "code": 800}},
            "API error response, not a playlist: DataException",
        ),
        ("just a string", "found a JSON str"),
    ],
)
def test_unknown_json_shapes(tmp_path: Path, doc: object, expected: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    [source] = read(path)
    assert source.path == str(path) and source.source is None
    assert source.error is not None and expected in source.error


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"tracks": {"items": [', encoding="utf-8")
    assert "not valid JSON" in only_error(read(path))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert "JSON" in only_error(read(deep))


@pytest.mark.parametrize("suffix", [".json", ".xml", ".xspf"])
def test_binary_junk_in_document_formats(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(os.urandom(5000))
    assert only_error(read(path))


def test_unknown_xml(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text('<?xml version="1.0"?><rss version="2.0"><channel/></rss>', encoding="utf-8")
    assert "unknown XML playlist" in only_error(read(path))


def test_documents_over_the_size_cap_are_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(document, "MAX_DOCUMENT_BYTES", 1 << 20)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"items": [{"track": None}] * 100_000}), encoding="utf-8")
    assert path.stat().st_size > 1 << 20
    assert "over the 1 MiB limit" in only_error(read(path))


def test_a_parser_bug_costs_one_error_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def buggy(path: str) -> Iterator[Source]:
        yield Source(path="first.wav", source=path)
        raise KeyError("oops")

    monkeypatch.setitem(dispatch._TEXT_READERS, ".m3u", ("m3u", buggy))
    path = tmp_path / "x.m3u"
    path.write_text("a.wav\n", encoding="utf-8")
    first, error = read(path)
    assert first.path == "first.wav"
    assert error.path == str(path) and error.error is not None
    assert "internal error" in error.error and "KeyError" in error.error
