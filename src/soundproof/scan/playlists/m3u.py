"""M3U and M3U8 playlists, plain and extended, read as a stream.

Every line that is not blank and does not start with ``#`` is one entry: a path
(relative to the playlist, or absolute), a ``file://`` URI or an http(s) URL. Extended
M3U adds directives before an entry:

* ``#EXTINF:<seconds>[ key="value"...],<Artist> - <Title>`` gives the display title;
  the text after the first comma outside quotes is split at the first `` - `` into
  artist and title (see :func:`~soundproof.scan.playlists.entry.split_display_title`).
  Attribute lists (IPTV style, ``tvg-name="a, b"``) may hold commas inside quotes.
* ``#EXTART:<artist>`` (written by some players) overrides the artist.
* ``#PLAYLIST:<name>`` names the playlist.

Directives apply to the next entry only. ``#EXTM3U`` is optional (plenty of "extended"
files lack it) and other directives (``#EXTGRP``, ``#EXTALB``, comments) are skipped.
``.m3u8`` is M3U in UTF-8; both go through the same encoding detection, since ``.m3u``
files are often UTF-8 too and ``.m3u8`` ones are not always.

An HLS playlist (``#EXT-X-TARGETDURATION``, ``#EXT-X-STREAM-INF``...) also ends in
``.m3u8``, but its entries are seconds-long segments or variant streams of one
programme, not tracks: it is refused as a whole rather than scanned segment by segment.

There is no such thing as an unparseable M3U line: anything that is not a directive is
an entry, and an entry that leads nowhere (a missing file, an ``ftp:`` URL) becomes an
error source in its place, so the report says which playlist lines were not scanned.
"""

from __future__ import annotations

from collections.abc import Iterator

from soundproof.scan.playlists.entry import Playlist, PlaylistError, split_display_title
from soundproof.scan.playlists.text import iter_text_lines
from soundproof.scan.source import Source

PLATFORM = "m3u"

_HLS_TAGS = ("#EXT-X-TARGETDURATION", "#EXT-X-STREAM-INF", "#EXT-X-MEDIA-SEQUENCE")
"""Tags that only HLS media or master playlists have."""


def read_m3u(path: str) -> Iterator[Source]:
    """Yield one source per entry of the M3U playlist at ``path``, lazily."""
    playlist = Playlist(path, PLATFORM)
    position = 0
    title: str | None = None
    artist: str | None = None
    for raw_line in iter_text_lines(path):
        for piece in raw_line.rstrip("\r\n").split("\r"):
            line = piece.strip()
            if not line:
                continue
            if line.startswith("#"):
                directive = line[:32].upper()
                if directive.startswith("#EXTINF:"):
                    title, artist = split_display_title(extinf_display(line))
                elif directive.startswith("#EXTART:"):
                    artist = line[len("#EXTART:") :].strip() or artist
                elif directive.startswith("#PLAYLIST:"):
                    playlist.name = line[len("#PLAYLIST:") :].strip() or None
                elif directive.startswith(_HLS_TAGS):
                    raise PlaylistError(
                        f"an HLS streaming playlist ({line.split(':')[0]}), not a list of tracks"
                    )
                continue
            position += 1
            yield playlist.track(position, line, title=title, artist=artist)
            title = artist = None


def extinf_display(line: str) -> str | None:
    """The display text of an ``#EXTINF`` line: what follows the first comma outside quotes."""
    in_quotes = False
    for index, char in enumerate(line):
        if char == '"':
            in_quotes = not in_quotes
        elif char == "," and not in_quotes:
            return line[index + 1 :].strip() or None
    return None


__all__ = ["PLATFORM", "extinf_display", "read_m3u"]
