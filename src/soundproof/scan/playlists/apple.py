"""Apple Music / iTunes library exports (``Library.xml``, File > Library > Export Playlist).

The export is a property list (XML, or binary ``bplist00``), read with ``plistlib``,
which refuses entity declarations by itself (see
:mod:`~soundproof.scan.playlists.safexml` for why that matters)::

    Tracks:    { "1234": {"Track ID": 1234, "Name": ..., "Artist": ...,
                          "Location": "file:///Users/me/Music/Song.m4a", "ISRC": ...}, ... }
    Playlists: [ {"Name": "Road trip", "Playlist Items": [{"Track ID": 1234}, ...]}, ... ]

One file may hold several playlists: their tracks are yielded playlist by playlist in
file order, each source carrying the playlist's name (``Source.playlist``) and its
1-based position in that playlist. Every track is scanned once: a track already yielded
by an earlier playlist is skipped. A whole-library export lists the library itself as a
playlist (``Master``, usually "Library", first); it is read last, so a track is named
after the first real playlist it is in and only the tracks in no playlist come from the
library. A file with no ``Playlists`` yields the whole ``Tracks`` dictionary, in file
order.

``Location`` is a ``file://`` URL (``file://localhost/...`` from older iTunes); a
track without one (streamed from Apple Music, never downloaded) or whose ID is not in
``Tracks`` becomes an error source. The document is read whole, within
:data:`~soundproof.scan.playlists.document.MAX_DOCUMENT_BYTES`.
"""

from __future__ import annotations

import plistlib
from collections.abc import Iterator, Mapping
from typing import Any

from soundproof.scan.playlists.document import read_document
from soundproof.scan.playlists.entry import Playlist, PlaylistError, text_of
from soundproof.scan.source import Source

PLATFORM = "apple"

NO_LOCATION = (
    "the library has no Location for this track: it is not a local file "
    "(streamed from Apple Music or iCloud and never downloaded)"
)


def looks_like_plist(head: bytes) -> bool:
    """Whether the first bytes of a file are those of a property list (XML or binary)."""
    return head.startswith(b"bplist00") or b"<plist" in head or b"//DTD PLIST" in head


def read_apple(path: str) -> Iterator[Source]:
    """Yield the tracks of every playlist of the Apple library export at ``path``."""
    library = _load(path)
    tracks = library["Tracks"]
    playlists = library.get("Playlists")
    if not isinstance(playlists, list) or not playlists:
        everything = Playlist(path, PLATFORM)
        for position, (key, track) in enumerate(tracks.items(), 1):
            yield _track_source(everything, position, key, track)
        return
    numbered = [(n, e) for n, e in enumerate(playlists, 1) if isinstance(e, Mapping)]
    numbered.sort(key=lambda pair: bool(pair[1].get("Master")))  # stable: the library last
    seen: set[str] = set()
    for number, entry in numbered:
        name = text_of(entry.get("Name")) or f"playlist {number}"
        playlist = Playlist(path, PLATFORM, name=name)
        items = entry.get("Playlist Items")
        for position, item in enumerate(items if isinstance(items, list) else [], 1):
            track_id = item.get("Track ID") if isinstance(item, Mapping) else None
            key = str(track_id)
            if key in seen:
                continue
            seen.add(key)
            track = tracks.get(key)
            if track is None:
                yield playlist.unavailable(
                    position,
                    f"Track ID {track_id} is not in the library's Tracks",
                    label=f"{path}#track-{track_id}",
                )
                continue
            yield _track_source(playlist, position, key, track)


def _load(path: str) -> Mapping[str, Any]:
    """The library dictionary, or :class:`PlaylistError` saying why the file is not one."""
    data = read_document(path)
    try:
        library = plistlib.loads(data)
    except Exception as exc:  # plistlib raises expat, value and its own errors
        raise PlaylistError(f"not a valid property list: {exc}") from None
    if not isinstance(library, Mapping) or not isinstance(library.get("Tracks"), Mapping):
        raise PlaylistError("not an Apple Music / iTunes library: no Tracks dictionary")
    return library


def _track_source(playlist: Playlist, position: int, key: str, track: object) -> Source:
    label = f"{playlist.path}#track-{key}"
    if not isinstance(track, Mapping):
        return playlist.unavailable(position, f"Track {key} is not a dictionary", label=label)
    meta: dict[str, Any] = {
        "title": track.get("Name"),
        "artist": track.get("Artist"),
        "isrc": track.get("ISRC"),
    }
    location = text_of(track.get("Location"))
    if location is None:
        return playlist.unavailable(position, NO_LOCATION, label=label, **meta)
    return playlist.track(position, location, uri=True, **meta)


__all__ = ["NO_LOCATION", "PLATFORM", "looks_like_plist", "read_apple"]
