"""Deezer API JSON: playlist object and bare tracks page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from soundproof.scan.playlists.deezer import NO_PREVIEW, NO_TRACK

from .helpers import read


def track(title: str, artist: str, preview: str, isrc: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": 3135556,
        "title": title,
        "link": f"https://www.deezer.com/track/{title.lower()}",
        "preview": preview,
        "artist": {"id": 27, "name": artist, "type": "artist"},
        "type": "track",
    }
    if isrc is not None:
        item["isrc"] = isrc
    return item


def test_playlist_object_round_trip(tmp_path: Path) -> None:
    doc = {
        "id": 908622995,
        "title": "Top France",
        "type": "playlist",
        "tracks": {
            "data": [
                track("Harder", "Daft Punk", "https://cdn-preview.dzcdn.net/a.mp3", "GBDUW0000059"),
                track("Silent", "Nobody", ""),
                None,
            ]
        },
    }
    playlist = tmp_path / "deezer.json"
    playlist.write_text(json.dumps(doc), encoding="utf-8")
    first, no_preview, null = read(playlist)
    assert (first.path, first.remote, first.error) == (
        "https://cdn-preview.dzcdn.net/a.mp3",
        True,
        None,
    )
    assert (first.title, first.artist, first.isrc, first.position) == (
        "Harder",
        "Daft Punk",
        "GBDUW0000059",
        1,
    )
    assert no_preview.error == NO_PREVIEW and no_preview.path.startswith(
        "https://www.deezer.com/track/"
    )
    assert (no_preview.title, no_preview.position) == ("Silent", 2)
    assert null.error == NO_TRACK and null.position == 3
    for source in (first, no_preview, null):
        assert (source.platform, source.source, source.playlist) == (
            "deezer",
            str(playlist),
            "Top France",
        )


def test_bare_tracks_page(tmp_path: Path) -> None:
    doc = {
        "data": [track("A", "X", "https://cdn-preview.dzcdn.net/x.mp3")],
        "total": 60,
        "next": "https://api.deezer.com/playlist/1/tracks?index=26",
    }
    page = tmp_path / "page.json"
    page.write_text(json.dumps(doc), encoding="utf-8")
    sources = read(page)
    assert [s.position for s in sources] == [26, 27]
    assert sources[0].error is None and sources[0].title == "A"
    assert sources[1].error is not None and "60 tracks" in sources[1].error
