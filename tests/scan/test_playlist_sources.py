"""Playlists among the scan arguments: expansion in place, nesting, cycles, depth."""

from __future__ import annotations

from pathlib import Path

from soundproof.scan.sources import MAX_PLAYLIST_DEPTH, Source, iter_sources


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")
    return path


def _lines(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_playlist_expands_in_place_between_other_arguments(tmp_path: Path) -> None:
    a, b = _touch(tmp_path / "a.wav"), _touch(tmp_path / "b.wav")
    playlist = _lines(tmp_path / "list.m3u", "#EXTINF:1,X - Y", "b.wav", "missing.wav")
    sources = list(iter_sources([a, playlist, a]))
    assert [s.path for s in sources] == [str(a), str(b), str(tmp_path / "missing.wav"), str(a)]
    assert sources[0] == Source(path=str(a)) == sources[3]
    assert (sources[1].title, sources[1].artist, sources[1].position) == ("Y", "X", 1)
    assert sources[2].error == "no such file or directory" and sources[2].position == 2


def test_directory_entries_are_walked_and_keep_the_entry_metadata(tmp_path: Path) -> None:
    _touch(tmp_path / "album" / "01.flac")
    _touch(tmp_path / "album" / "cover.jpg")
    _touch(tmp_path / "album" / "inner.m3u")  # playlists inside a directory are not expanded
    playlist = _lines(tmp_path / "list.m3u", "#EXTINF:1,Band - Album", "album")
    [source] = iter_sources([playlist])
    assert source.path == str(tmp_path / "album" / "01.flac")
    assert (source.source, source.platform, source.position) == (str(playlist), "m3u", 1)


def test_nested_playlists_carry_the_innermost_metadata(tmp_path: Path) -> None:
    _touch(tmp_path / "a.wav")
    inner = tmp_path / "inner.csv"
    inner.write_text("path,title,isrc\na.wav,Inner title,USRC17607839\n", encoding="utf-8")
    outer = _lines(tmp_path / "outer.pls", "[playlist]", "File1=inner.csv", "File2=broken.xspf")
    (tmp_path / "broken.xspf").write_bytes(b"\x00\x01 junk")
    first, broken = iter_sources([outer])
    assert (first.path, first.title, first.isrc) == (
        str(tmp_path / "a.wav"),
        "Inner title",
        "USRC17607839",
    )
    assert (first.source, first.platform, first.position) == (str(inner), "csv", 1)
    # A nested playlist that cannot be read is reported where the outer one named it.
    assert broken.path == str(tmp_path / "broken.xspf")
    assert broken.error is not None and "xspf playlist" in broken.error
    assert (broken.source, broken.platform, broken.position) == (str(outer), "pls", 2)


def test_a_self_including_playlist_yields_one_cycle_error(tmp_path: Path) -> None:
    _touch(tmp_path / "a.wav")
    playlist = _lines(tmp_path / "self.m3u", "a.wav", "self.m3u", "./self.m3u", "a.wav")
    sources = list(iter_sources([playlist]))
    assert [s.error is None for s in sources] == [True, False, False, True]
    for cycle in sources[1:3]:
        assert cycle.error is not None and cycle.error.startswith("playlist cycle: ")
        assert str(playlist) in cycle.error and cycle.position in (2, 3)


def test_mutually_including_playlists_stop_at_the_cycle(tmp_path: Path) -> None:
    _touch(tmp_path / "a.wav")
    _touch(tmp_path / "b.wav")
    first = _lines(tmp_path / "first.m3u", "a.wav", "second.m3u8")
    _lines(tmp_path / "second.m3u8", "b.wav", "sub/../first.m3u")
    sources = list(iter_sources([first]))
    assert [Path(s.path).name for s in sources] == ["a.wav", "b.wav", "first.m3u"]
    cycle = sources[2].error
    assert cycle is not None
    assert cycle.startswith(f"playlist cycle: {first} -> {tmp_path / 'second.m3u8'} -> ")
    assert sources[2].source == str(tmp_path / "second.m3u8")


def test_a_playlist_included_twice_without_a_cycle_expands_twice(tmp_path: Path) -> None:
    _touch(tmp_path / "a.wav")
    _lines(tmp_path / "shared.m3u", "a.wav")
    top = _lines(tmp_path / "top.m3u", "shared.m3u", "shared.m3u")
    assert [s.error for s in iter_sources([top])] == [None, None]


def test_nesting_is_limited_in_depth(tmp_path: Path) -> None:
    _touch(tmp_path / "a.wav")
    depth = MAX_PLAYLIST_DEPTH + 3
    for level in range(depth):
        _lines(tmp_path / f"p{level}.m3u", f"p{level + 1}.m3u", "a.wav")
    _lines(tmp_path / f"p{depth}.m3u", "a.wav")
    sources = list(iter_sources([tmp_path / "p0.m3u"]))
    errors = [s for s in sources if s.error is not None]
    assert len(errors) == 1
    assert errors[0].path == str(tmp_path / f"p{MAX_PLAYLIST_DEPTH}.m3u")
    assert "nested more than" in (errors[0].error or "")
    assert len(sources) == 1 + MAX_PLAYLIST_DEPTH  # one a.wav per level read, then the error


def test_urls_pass_through_as_remote_sources(tmp_path: Path) -> None:
    playlist = _lines(tmp_path / "radio.m3u", "#EXTINF:-1,Radio", "https://radio.example.org/live")
    [source] = iter_sources([playlist])
    assert (source.path, source.remote, source.error, source.title) == (
        "https://radio.example.org/live",
        True,
        None,
        "Radio",
    )


def test_nested_expansion_is_lazy(tmp_path: Path) -> None:
    _touch(tmp_path / "a.wav")
    inner = _lines(tmp_path / "inner.m3u", "a.wav", "a.wav")
    outer = _lines(tmp_path / "outer.m3u", "inner.m3u", "later.m3u")
    sources = iter_sources([outer])
    assert next(sources).path == str(tmp_path / "a.wav")
    # The next playlist is read only when its turn comes.
    _lines(tmp_path / "later.m3u", "#EXTINF:1,A - Late", "a.wav")
    rest = list(sources)
    assert [s.title for s in rest] == [None, "Late"]
    assert rest[1].source == str(tmp_path / "later.m3u") and inner.exists()
