"""Apple Music / iTunes library exports (plist): several playlists, whole library, errors."""

from __future__ import annotations

import plistlib
from pathlib import Path
from typing import Any

from soundproof.scan.playlists.apple import NO_LOCATION

from .helpers import only_error, read


def library(music: Path, playlists: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A library dictionary as iTunes writes it (only the keys a scan reads, plus noise)."""
    doc: dict[str, Any] = {
        "Major Version": 1,
        "Application Version": "12.9",
        "Music Folder": music.as_uri() + "/",
        "Tracks": {
            "101": {
                "Track ID": 101,
                "Name": "One More Time",
                "Artist": "Daft Punk",
                "ISRC": "GB-DUW-00-00059",
                "Location": f"file://localhost{music}/b%20c.wav",
                "Total Time": 320000,
            },
            "102": {"Track ID": 102, "Name": "Streamed", "Artist": "Cloud"},  # no Location
            "103": {
                "Track ID": 103,
                "Name": "Deep",
                "Location": (music / "sub" / "d.wav").as_uri(),
            },
        },
    }
    if playlists is not None:
        doc["Playlists"] = playlists
    return doc


def test_every_playlist_with_its_name_and_every_track_once(music: Path) -> None:
    playlists = [
        {
            "Name": "Library",
            "Master": True,
            "Playlist Items": [{"Track ID": 101}, {"Track ID": 102}],
        },
        {
            "Name": "Road trip",
            "Playlist Items": [{"Track ID": 103}, {"Track ID": 999}, {"Track ID": 101}],
        },
        {"Name": "Empty smart playlist"},
    ]
    export = music / "Library.xml"
    export.write_bytes(plistlib.dumps(library(music, playlists)))
    sources = read(export)
    # Each track once: named playlists first, then the library's tracks in no playlist.
    assert [(s.playlist, s.position, s.title) for s in sources] == [
        ("Road trip", 1, "Deep"),
        ("Road trip", 2, None),
        ("Road trip", 3, "One More Time"),
        ("Library", 2, "Streamed"),
    ]
    deep, missing, first, streamed = sources
    assert (first.path, first.artist, first.isrc, first.error) == (
        str(music / "b c.wav"),
        "Daft Punk",
        "GBDUW0000059",
        None,
    )
    assert streamed.error == NO_LOCATION and streamed.artist == "Cloud"
    assert deep.path == str(music / "sub" / "d.wav") and deep.error is None
    assert missing.error is not None and "Track ID 999" in missing.error
    assert {(s.platform, s.source) for s in sources} == {("apple", str(export))}


def test_whole_library_when_there_are_no_playlists_and_binary_plists(music: Path) -> None:
    export = music / "tracks.xml"
    export.write_bytes(plistlib.dumps(library(music, None), fmt=plistlib.FMT_BINARY))
    sources = read(export)
    assert [(s.title, s.position, s.playlist) for s in sources] == [
        ("One More Time", 1, None),
        ("Streamed", 2, None),
        ("Deep", 3, None),
    ]


def test_not_a_library_and_broken_plists(tmp_path: Path) -> None:
    settings = tmp_path / "settings.xml"
    settings.write_bytes(plistlib.dumps({"Volume": 3}))
    assert "no Tracks dictionary" in only_error(read(settings))
    broken = tmp_path / "broken.xml"
    broken.write_bytes(plistlib.dumps({"Tracks": {}})[:-40])
    assert "not a valid property list" in only_error(read(broken))
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE plist [<!ENTITY a "aaaa">]>\n'
        '<plist version="1.0"><dict><key>Tracks</key><dict/><key>x</key><string>&a;</string>'
        "</dict></plist>",
        encoding="utf-8",
    )
    assert "entity" in only_error(read(bomb))
