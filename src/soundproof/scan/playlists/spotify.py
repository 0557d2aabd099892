"""Spotify Web API playlist JSON, as saved from the API.

Two shapes are read (see the Web API reference for "Get Playlist" and "Get Playlist
Items"):

* ``GET /v1/playlists/{id}``: ``{"name": ..., "tracks": {"items": [...], "offset": 0,
  "total": ..., "next": ...}}``;
* one page of ``GET /v1/playlists/{id}/tracks``: ``{"items": [...], "offset": ...,
  "total": ..., "next": ...}``.

Each item holds a ``track`` with ``name``, ``artists[].name`` (joined with ", "),
``external_ids.isrc``, ``uri`` and ``preview_url``, a 30-second MP3 on Spotify's CDN,
which is the only audio the API gives, so it is the scan's location (an http(s) URL,
downloaded by :mod:`soundproof.scan.fetch`). Spotify sends ``null`` for a track removed
from the catalogue and for ``preview_url`` on many tracks (and on local files and
episodes); each such item becomes an error source with the metadata that is known,
never a crash.

Positions continue from the page's ``offset``, so rows from several saved pages line
up. When the document says more tracks follow (``next`` is set), one error source at
the end says how many were not in the file: saving the other pages is up to the user,
since nothing here goes to the network.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from soundproof.scan.playlists.entry import Playlist, text_of
from soundproof.scan.playlists.location import is_url
from soundproof.scan.source import Source

PLATFORM = "spotify"

NO_TRACK = "Spotify lists no track here (null: removed from the catalogue or unavailable)"
NO_PREVIEW = (
    "Spotify gives no preview for this track (preview_url is null), so there is no audio to scan"
)


def looks_like_spotify(doc: object) -> bool:
    """Whether a JSON document is a Spotify playlist or a page of its tracks."""
    if not isinstance(doc, Mapping):
        return False
    tracks = doc.get("tracks")
    if isinstance(tracks, Mapping) and isinstance(tracks.get("items"), list):
        return True
    items = doc.get("items")
    if not isinstance(items, list):
        return False
    href = doc.get("href")
    if isinstance(href, str) and "spotify.com" in href:
        return True
    return not items or any(isinstance(item, Mapping) and "track" in item for item in items[:20])


def read_spotify(path: str, doc: Mapping[str, Any]) -> Iterator[Source]:
    """Yield one source per item of the Spotify document ``doc`` read from ``path``."""
    tracks = doc.get("tracks")
    page: Mapping[str, Any] = tracks if isinstance(tracks, Mapping) else doc
    playlist = Playlist(path, PLATFORM, name=text_of(doc.get("name")) if page is not doc else None)
    offset = page.get("offset")
    first = offset if isinstance(offset, int) and not isinstance(offset, bool) else 0
    items = page.get("items")
    items = items if isinstance(items, list) else []
    for index, item in enumerate(items):
        yield _item_source(playlist, first + index + 1, item)
    total = page.get("total")
    if page.get("next") and isinstance(total, int) and total > first + len(items):
        yield playlist.unavailable(
            first + len(items) + 1,
            f"the playlist has {total} tracks but this file holds {first + 1} to "
            f"{first + len(items)}; save the further pages (its 'next' URL) to scan the rest",
            label=f"{path}#more",
        )


def _item_source(playlist: Playlist, position: int, item: object) -> Source:
    track = item.get("track") if isinstance(item, Mapping) else None
    if not isinstance(track, Mapping):
        return playlist.unavailable(position, NO_TRACK)
    artists = track.get("artists")
    names = (
        [text_of(a.get("name")) for a in artists if isinstance(a, Mapping)]
        if isinstance(artists, list)
        else []
    )
    external_ids = track.get("external_ids")
    meta: dict[str, Any] = {
        "title": track.get("name"),
        "artist": ", ".join(name for name in names if name) or None,
        "isrc": external_ids.get("isrc") if isinstance(external_ids, Mapping) else None,
    }
    preview = text_of(track.get("preview_url"))
    if preview is None:
        return playlist.unavailable(position, NO_PREVIEW, label=_label(track), **meta)
    if not is_url(preview):
        return playlist.unavailable(
            position, f"preview_url is not an http(s) URL: {preview!r}", label=_label(track), **meta
        )
    return playlist.track(position, preview, **meta)


def _label(track: Mapping[str, Any]) -> str | None:
    """The track's ``spotify:track:...`` URI (or web link) to name an error row."""
    uri = text_of(track.get("uri"))
    if uri:
        return uri
    links = track.get("external_urls")
    return text_of(links.get("spotify")) if isinstance(links, Mapping) else None


__all__ = ["NO_PREVIEW", "NO_TRACK", "PLATFORM", "looks_like_spotify", "read_spotify"]
