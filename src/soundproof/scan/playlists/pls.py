"""PLS playlists (Winamp, SHOUTcast, VLC, iTunes), read as a stream.

A PLS file is INI-like::

    [playlist]
    File1=Music/01 Intro.mp3
    Title1=Artist - Intro
    Length1=215
    NumberOfEntries=1
    Version=2

Keys are case-insensitive. ``FileN`` names the entry (path, ``file://`` URI or http(s)
URL, like M3U), ``TitleN`` its display title (split into artist and title like M3U's
``#EXTINF``), ``LengthN`` its length in seconds (-1 for a stream; not needed for a
scan, so ignored). Keys outside the ``[playlist]`` section, comment lines (``;``,
``#``) and lines without ``=`` are skipped.

Streaming: writers group the keys of an entry together (``File1``, ``Title1``,
``Length1``, ``File2``...), so an entry is complete soon after it starts. The parser
keeps the last :data:`WINDOW` entries open and emits the oldest when a newer one
arrives, in file order; a file that lists all ``File`` keys before all ``Title`` keys
still gets its titles within that window, and beyond it the tracks are scanned without
titles. Memory stays bounded whatever the file's length.

Positions count the entries in file order (1, 2, 3...) like every other format, not
the ``N`` of the keys, which writers do not always number densely.

``NumberOfEntries`` is checked at the end: when the file holds fewer entries than it
declares (a truncated download, typically), one error source says so after the
entries found; more entries than declared is common (stale counts) and fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from soundproof.scan.playlists.entry import Playlist, PlaylistError, split_display_title
from soundproof.scan.playlists.text import iter_text_lines
from soundproof.scan.source import Source

PLATFORM = "pls"

WINDOW = 64
"""Entries kept open for late ``TitleN`` keys before the oldest is emitted."""

_ENTRY_KEY = re.compile(r"(file|title|length)([0-9]+)", re.IGNORECASE)


def read_pls(path: str) -> Iterator[Source]:
    """Yield one source per ``FileN`` entry of the PLS playlist at ``path``, lazily."""
    playlist = Playlist(path, PLATFORM)
    open_entries: dict[int, dict[str, str]] = {}  # N -> fields, oldest first
    emitted = 0
    declared: int | None = None
    in_section = seen_section = False

    def emit(fields: dict[str, str]) -> Iterator[Source]:
        nonlocal emitted
        if "file" not in fields:  # a TitleN whose FileN is missing or long gone
            return
        emitted += 1
        title, artist = split_display_title(fields.get("title") or None)
        yield playlist.track(emitted, fields["file"], title=title, artist=artist)

    for raw_line in iter_text_lines(path):
        for piece in raw_line.rstrip("\r\n").split("\r"):
            line = piece.strip()
            if not line or line[0] in ";#":
                continue
            if line.startswith("["):
                in_section = line.lower().replace(" ", "") == "[playlist]"
                seen_section = seen_section or in_section
                continue
            key, sep, value = line.partition("=")
            if not in_section or not sep:
                continue
            key, value = key.strip(), value.strip()
            if key.lower() == "numberofentries":
                declared = int(value) if value.isdigit() else None
                continue
            match = _ENTRY_KEY.fullmatch(key)
            if match is None:  # Version, or a key some player added
                continue
            fields = open_entries.setdefault(int(match[2]), {})
            fields.setdefault(match[1].lower(), value)
            if len(open_entries) > WINDOW:
                oldest = next(iter(open_entries))
                yield from emit(open_entries.pop(oldest))
    if not seen_section:
        raise PlaylistError("not a PLS playlist: no [playlist] section")
    for fields in open_entries.values():
        yield from emit(fields)
    if declared is not None and declared > emitted:
        raise PlaylistError(
            f"NumberOfEntries is {declared} but the file holds {emitted} entries "
            "(cut short?); the entries found were scanned"
        )


__all__ = ["PLATFORM", "WINDOW", "read_pls"]
