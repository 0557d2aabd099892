"""Text playlists that are not text: binary junk, undecodable UTF-16, runaway lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from soundproof.scan.playlists import text
from soundproof.scan.sources import iter_sources

from .helpers import only_error, read


@pytest.mark.parametrize("suffix", [".m3u", ".m3u8", ".pls", ".csv"])
def test_binary_junk_is_one_error_source(tmp_path: Path, suffix: str) -> None:
    junk = tmp_path / f"junk{suffix}"
    junk.write_bytes(os.urandom(20_000))
    message = only_error(read(junk))
    assert "binary data" in message or "cannot decode" in message


def test_control_characters_without_nul_are_binary(tmp_path: Path) -> None:
    junk = tmp_path / "junk.m3u"
    junk.write_bytes(bytes(range(1, 32)) * 100)
    assert "binary data" in only_error(read(junk))


def test_binary_after_a_text_start_stops_with_an_error(tmp_path: Path) -> None:
    playlist = tmp_path / "half.m3u"
    playlist.write_bytes(b"a.wav\n" * 2000 + b"\x00\x01\x02junk\n" + b"b.wav\n")
    sources = read(playlist)
    assert len(sources) == 2001
    assert [s.path for s in sources[:2]] == [str(tmp_path / "a.wav")] * 2
    last = sources[-1]
    assert last.path == str(playlist) and last.error is not None
    assert "binary data at line 2001" in last.error


def test_undecodable_utf16_is_an_error_after_the_good_lines(tmp_path: Path) -> None:
    playlist = tmp_path / "bad16.m3u"
    good = ("a.wav\n" * 5000).encode("utf-16")  # decoding is by 8 KiB chunks
    playlist.write_bytes(good + b"\x00\xd8\x41\x00")  # a lone surrogate
    sources = read(playlist)
    assert len(sources) > 1000
    assert sources[0].path == str(tmp_path / "a.wav")
    assert sources[-1].error is not None and "cannot decode as UTF-16" in sources[-1].error


def test_a_line_without_end_is_refused_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text, "MAX_LINE_BYTES", 1000)
    playlist = tmp_path / "long.m3u"
    playlist.write_bytes(b"a.wav\n" + b"x" * 5000)
    sources = read(playlist)
    assert len(sources) == 2
    assert sources[1].error is not None and "line 2 is longer than 1000 bytes" in sources[1].error


def test_empty_playlist_yields_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.m3u").write_bytes(b"")
    (tmp_path / "bom.m3u").write_bytes(b"\xef\xbb\xbf")
    assert read(tmp_path / "empty.m3u") == [] and read(tmp_path / "bom.m3u") == []


def test_missing_and_unreadable_playlists(tmp_path: Path) -> None:
    missing = tmp_path / "missing.m3u"
    [source] = iter_sources([missing])
    assert source.path == str(missing) and source.error == "no such file or directory"
    folder = tmp_path / "folder.m3u"  # a directory with a playlist's name is a directory
    folder.mkdir()
    assert list(iter_sources([folder])) == []
    assert "cannot read it" in only_error(read(folder))
