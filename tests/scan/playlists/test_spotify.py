"""Spotify Web API JSON: playlist object, tracks pages, null tracks and previews."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from soundproof.scan.playlists.spotify import NO_PREVIEW, NO_TRACK

from .helpers import read


def track(name: str, artists: list[str], isrc: str | None, preview: str | None) -> dict[str, Any]:
    """A track object as the Web API sends it (only the fields a scan reads, plus noise)."""
    return {
        "name": name,
        "artists": [{"name": a, "type": "artist"} for a in artists],
        "external_ids": {"isrc": isrc} if isrc else {},
        "preview_url": preview,
        "uri": f"spotify:track:{name.lower().replace(' ', '')}",
        "duration_ms": 123000,
        "type": "track",
    }


def write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_playlist_object_round_trip(tmp_path: Path) -> None:
    doc = {
        "name": "Discover Weekly",
        "type": "playlist",
        "tracks": {
            "href": "https://api.spotify.com/v1/playlists/x/tracks",
            "items": [
                {
                    "track": track(
                        "Song A", ["Ann", "Bob"], "usrc17607839", "https://p.scdn.co/mp3-preview/a"
                    )
                },
                {"track": None},
                {"track": track("Song C", ["Cy"], "GBAYE6900531", None)},
                {"track": track("Song D", [], None, "not a url")},
            ],
            "offset": 0,
            "total": 4,
            "next": None,
        },
    }
    playlist = write(tmp_path / "spotify.json", doc)
    sources = read(playlist)
    assert len(sources) == 4
    first, null, no_preview, odd = sources
    assert (first.path, first.remote, first.error) == (
        "https://p.scdn.co/mp3-preview/a",
        True,
        None,
    )
    assert (first.title, first.artist, first.isrc) == ("Song A", "Ann, Bob", "USRC17607839")
    assert null.error == NO_TRACK and null.path == f"{playlist}#2"
    assert no_preview.error == NO_PREVIEW and no_preview.path == "spotify:track:songc"
    assert (no_preview.title, no_preview.artist, no_preview.isrc) == (
        "Song C",
        "Cy",
        "GBAYE6900531",
    )
    assert odd.error is not None and "not an http(s) URL" in odd.error
    assert [s.position for s in sources] == [1, 2, 3, 4]
    assert {(s.platform, s.source, s.playlist) for s in sources} == {
        ("spotify", str(playlist), "Discover Weekly")
    }


def test_tracks_page_continues_positions_and_reports_missing_pages(tmp_path: Path) -> None:
    doc = {
        "href": "https://api.spotify.com/v1/playlists/x/tracks?offset=100&limit=2",
        "items": [
            {"track": track("P", ["Q"], None, "https://p.scdn.co/mp3-preview/p")},
            {"added_at": "2024-01-01T00:00:00Z"},  # an item without a track key
        ],
        "offset": 100,
        "total": 250,
        "next": "https://api.spotify.com/v1/playlists/x/tracks?offset=102&limit=2",
    }
    sources = read(write(tmp_path / "page.json", doc))
    assert [s.position for s in sources] == [101, 102, 103]
    assert sources[0].error is None and sources[0].playlist is None
    assert sources[1].error == NO_TRACK
    assert sources[2].error is not None and "250 tracks" in sources[2].error
    assert "101 to 102" in sources[2].error


def test_odd_field_types_do_not_crash(tmp_path: Path) -> None:
    doc = {
        "tracks": {
            "items": [
                "not an object",
                {"track": {"name": 42, "artists": "nope", "external_ids": [], "preview_url": 7}},
                {"track": {"artists": [None, {"name": None}, {"name": "X"}], "preview_url": ""}},
            ]
        }
    }
    sources = read(write(tmp_path / "odd.json", doc))
    assert [s.error is not None for s in sources] == [True, True, True]
    assert sources[1].title == "42" and sources[1].artist is None
    assert sources[2].artist == "X" and sources[2].error == NO_PREVIEW
