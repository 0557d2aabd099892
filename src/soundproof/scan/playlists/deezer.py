"""Deezer API playlist JSON, as saved from the API.

Two shapes are read:

* ``GET /playlist/{id}``: ``{"title": ..., "tracks": {"data": [...]}}``;
* a bare page of tracks (``GET /playlist/{id}/tracks``): ``{"data": [...], "total": ...,
  "next": ...}``.

Each track has ``title``, ``artist.name``, ``isrc`` (present on some endpoints only),
``link`` and ``preview``, a 30-second MP3 on Deezer's CDN and the only audio the API
gives: it is the scan's location (an http(s) URL, which the scan downloads). An empty or
missing ``preview`` (Deezer sends ``""`` for tracks it cannot preview) or a null track
becomes an error source that keeps the metadata.

Deezer pages carry no offset; when a ``next`` URL says ``index=N``, positions are
numbered so that this page ends at ``N``, which keeps them right across saved pages.
When more tracks follow than the file holds, one error source at the end says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from soundproof.scan.playlists.entry import Playlist, text_of
from soundproof.scan.playlists.location import is_url
from soundproof.scan.source import Source

PLATFORM = "deezer"

NO_TRACK = "Deezer lists no track here (null)"
NO_PREVIEW = "Deezer gives no preview for this track (preview is empty), so there is no audio"


def looks_like_deezer(doc: object) -> bool:
    """Whether a JSON document is a Deezer playlist or a page of its tracks."""
    if not isinstance(doc, Mapping):
        return False
    tracks = doc.get("tracks")
    if isinstance(tracks, Mapping) and isinstance(tracks.get("data"), list):
        return True
    data = doc.get("data")
    if not isinstance(data, list):
        return False
    # A page of playlists or albums has the same envelope: look at what it lists.
    sample = [item for item in data[:20] if isinstance(item, Mapping)]
    if any(item.get("type") not in (None, "track") for item in sample):
        return False
    return not data or any("preview" in item or "artist" in item for item in sample)


def read_deezer(path: str, doc: Mapping[str, Any]) -> Iterator[Source]:
    """Yield one source per track of the Deezer document ``doc`` read from ``path``."""
    tracks = doc.get("tracks")
    page: Mapping[str, Any] = tracks if isinstance(tracks, Mapping) else doc
    name = text_of(doc.get("title")) if page is not doc else None
    playlist = Playlist(path, PLATFORM, name=name)
    data = page.get("data")
    data = data if isinstance(data, list) else []
    first = _offset(page, len(data))
    for index, item in enumerate(data):
        yield _track_source(playlist, first + index + 1, item)
    total = page.get("total")
    if page.get("next") and isinstance(total, int) and total > first + len(data):
        yield playlist.unavailable(
            first + len(data) + 1,
            f"the playlist has {total} tracks but this file holds {first + 1} to "
            f"{first + len(data)}; save the further pages (its 'next' URL) to scan the rest",
            label=f"{path}#more",
        )


def _offset(page: Mapping[str, Any], count: int) -> int:
    """Index of this page's first track, from the ``index=`` of its ``next`` URL."""
    following = page.get("next")
    if not isinstance(following, str):
        return 0
    try:
        values = parse_qs(urlsplit(following).query).get("index", [])
    except ValueError:
        return 0
    if values and values[0].isdigit():
        return max(0, int(values[0]) - count)
    return 0


def _track_source(playlist: Playlist, position: int, item: object) -> Source:
    if not isinstance(item, Mapping):
        return playlist.unavailable(position, NO_TRACK)
    artist = item.get("artist")
    meta: dict[str, Any] = {
        "title": item.get("title"),
        "artist": artist.get("name") if isinstance(artist, Mapping) else None,
        "isrc": item.get("isrc"),
    }
    label = text_of(item.get("link"))
    preview = text_of(item.get("preview"))
    if preview is None:
        return playlist.unavailable(position, NO_PREVIEW, label=label, **meta)
    if not is_url(preview):
        return playlist.unavailable(
            position, f"preview is not an http(s) URL: {preview!r}", label=label, **meta
        )
    return playlist.track(position, preview, **meta)


__all__ = ["NO_PREVIEW", "NO_TRACK", "PLATFORM", "looks_like_deezer", "read_deezer"]
