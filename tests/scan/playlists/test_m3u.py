"""M3U/M3U8: extended metadata, every kind of location, line ends, and streaming."""

from __future__ import annotations

import tracemalloc
from collections import deque
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import pytest

from soundproof.scan.playlists.m3u import extinf_display
from soundproof.scan.sources import iter_sources

from .helpers import only_error, read


def test_extended_m3u_metadata_round_trip(music: Path) -> None:
    playlist = music / "mix.m3u8"
    playlist.write_text(
        "#EXTM3U\n"
        "#PLAYLIST:Road trip\n"
        "#EXTINF:215,Daft Punk - One More Time\n"
        "a.wav\n"
        "# a comment between entries\n"
        "#EXTGRP:ignored\n"
        "b c.wav\n"
        "#EXTINF:-1,Only a title\n"
        "#EXTART:Late Artist\n"
        "sub/d.wav\n",
        encoding="utf-8",
    )
    sources = read(playlist)
    assert [(s.title, s.artist, s.position) for s in sources] == [
        ("One More Time", "Daft Punk", 1),
        (None, None, 2),  # #EXTINF applies to the next entry only
        ("Only a title", "Late Artist", 3),
    ]
    assert [s.path for s in sources] == [str(music / n) for n in ("a.wav", "b c.wav", "sub/d.wav")]
    for source in sources:
        assert (source.source, source.platform, source.playlist) == (
            str(playlist),
            "m3u",
            "Road trip",
        )
        assert source.error is None and not source.remote and source.isrc is None


def test_plain_m3u_without_header(music: Path) -> None:
    playlist = music / "plain.m3u"
    playlist.write_text("a.wav\n\n   \nsub/d.wav", encoding="utf-8")  # no final newline
    assert [s.path for s in read(playlist)] == [str(music / "a.wav"), str(music / "sub" / "d.wav")]


def test_locations_relative_absolute_file_uri_url_and_unsupported(
    music: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "lists"
    elsewhere.mkdir()
    playlist = elsewhere / "mix.m3u"
    playlist.write_text(
        "\n".join(
            [
                "../music/a.wav",
                str(music / "b c.wav"),
                (music / "b c.wav").as_uri(),  # file:///.../b%20c.wav
                f"file://localhost{music}/a.wav",
                "https://radio.example.org/stream.mp3",
                "ftp://files.example.org/x.mp3",
                "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
                "file://otherhost/share/x.mp3",
                "http:///no-host",
            ]
        ),
        encoding="utf-8",
    )
    sources = read(playlist)
    assert [s.path for s in sources[:5]] == [
        str(music / "a.wav"),
        str(music / "b c.wav"),
        str(music / "b c.wav"),
        str(music / "a.wav"),
        "https://radio.example.org/stream.mp3",
    ]
    assert all(s.error is None for s in sources[:5])
    assert [s.remote for s in sources[:5]] == [False, False, False, False, True]
    errors = [s.error or "" for s in sources[5:]]
    assert "unsupported location 'ftp:'" in errors[0]
    assert "unsupported location 'spotify:'" in errors[1]
    assert "another host" in errors[2]
    assert "malformed URL" in errors[3]
    assert [s.position for s in sources] == list(range(1, 10))


def test_windows_backslash_paths_resolve_where_they_can(music: Path) -> None:
    playlist = music / "win.m3u"
    playlist.write_bytes(
        b"sub\\d.wav\r\n.\\a.wav\r\nC:\\Music\\x.mp3\r\n\\\\server\\share\\y.mp3\r\n"
    )
    sources = read(playlist)
    assert [s.path for s in sources[:2]] == [str(music / "sub" / "d.wav"), str(music / "a.wav")]
    assert sources[0].error is None and sources[1].error is None
    for source in sources[2:]:
        assert source.error is not None and "Windows path" in source.error


def test_crlf_and_classic_mac_line_ends(music: Path) -> None:
    (music / "crlf.m3u").write_bytes(b"#EXTM3U\r\n#EXTINF:1,A - T\r\na.wav\r\nsub/d.wav\r\n")
    (music / "cr.m3u").write_bytes(b"#EXTM3U\r#EXTINF:1,A - T\ra.wav\rsub/d.wav\r")
    for name in ("crlf.m3u", "cr.m3u"):
        sources = read(music / name)
        assert [s.path for s in sources] == [str(music / "a.wav"), str(music / "sub" / "d.wav")]
        assert (sources[0].title, sources[0].artist) == ("T", "A")


@pytest.mark.parametrize(
    ("label", "encode"),
    [
        ("utf-8", lambda text: text.encode("utf-8")),
        ("utf-8 with BOM", lambda text: text.encode("utf-8-sig")),
        ("utf-16 with BOM", lambda text: text.encode("utf-16")),
        ("utf-16-be with BOM", lambda text: b"\xfe\xff" + text.encode("utf-16-be")),
        ("utf-16-le without BOM", lambda text: text.encode("utf-16-le")),
        ("utf-32 with BOM", lambda text: text.encode("utf-32")),
        ("cp1252", lambda text: text.encode("cp1252")),
    ],
)
def test_encodings(music: Path, label: str, encode: Callable[[str], bytes]) -> None:
    name = "Café – “Señor” ™.wav"  # en dash, curly quotes and ™ exist in cp1252, not Latin-1
    (music / name).write_bytes(b"RIFF")
    text = f"#EXTM3U\r\n#EXTINF:10,Beyoncé - Déjà Vu\r\n{name}\r\n"
    playlist = music / "enc.m3u"
    playlist.write_bytes(encode(text))
    sources = read(playlist)
    assert len(sources) == 1, label
    assert sources[0].error is None, sources[0].error
    assert sources[0].path == str(music / name)
    assert (sources[0].title, sources[0].artist) == ("Déjà Vu", "Beyoncé")


def test_mixed_encodings_are_decoded_line_by_line(music: Path) -> None:
    playlist = music / "mixed.m3u"
    playlist.write_bytes(
        "#EXTINF:1,Motörhead - Ace\na.wav\n".encode()
        + "#EXTINF:1,Mötley - Crüe\nb c.wav\n".encode("cp1252")
        + b"#EXTINF:1,Undefined \x81 byte\nsub/d.wav\n"  # not even cp1252: Latin-1
    )
    assert [(s.artist, s.title) for s in read(playlist)] == [
        ("Motörhead", "Ace"),
        ("Mötley", "Crüe"),
        (None, "Undefined \x81 byte"),
    ]


def test_extinf_display_text() -> None:
    assert extinf_display("#EXTINF:123,Artist - Title") == "Artist - Title"
    assert extinf_display('#EXTINF:-1 tvg-name="a, b" group="x",Name, with comma') == (
        "Name, with comma"
    )
    assert extinf_display("#EXTINF:123") is None
    assert extinf_display("#EXTINF:123,") is None


def test_a_million_line_m3u_is_streamed(tmp_path: Path) -> None:
    """The first entries come out with memory far below the file's size (~14 MB)."""
    playlist = tmp_path / "huge.m3u"
    with playlist.open("w", encoding="utf-8") as file:
        file.write("#EXTM3U\n")
        file.writelines(f"track{i:07d}.wav\n" for i in range(1_000_000))
    tracemalloc.start()
    try:
        sources = iter_sources([playlist])
        first = list(islice(sources, 5))
        after_first, _ = tracemalloc.get_traced_memory()
        last = deque(islice(sources, 20_000), maxlen=1)[0]  # consumed, not kept
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        sources.close()
    assert [s.position for s in first] == [1, 2, 3, 4, 5]
    assert first[0].path == str(tmp_path / "track0000000.wav")
    assert first[0].error == "no such file or directory"  # each entry is checked lazily
    assert last.position == 20_005
    # The whole file, or a list of a million sources, would take tens or hundreds of MB.
    assert after_first < 1 << 20
    assert peak < 1 << 20


def test_hls_streaming_playlists_are_refused(tmp_path: Path) -> None:
    hls = tmp_path / "index.m3u8"
    hls.write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:9.97,\nseg0.ts\n",
        encoding="utf-8",
    )
    assert "HLS streaming playlist (#EXT-X-TARGETDURATION)" in only_error(read(hls))
