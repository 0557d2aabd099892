"""Playlist and platform-export files as streams of scan sources.

One module per format, each turning a file into :class:`~soundproof.scan.source.Source`
entries that carry the track's title, artist and ISRC where known, the playlist that
named it (``source``), the format (``platform``) and the entry's 1-based ``position``:

* :mod:`.m3u` (M3U/M3U8, plain and extended), :mod:`.pls`, :mod:`.csv_list`: text,
  streamed line by line in any common encoding (:mod:`.text`);
* :mod:`.xspf`: XML, streamed through a hardened expat parser (:mod:`.safexml`);
* :mod:`.spotify`, :mod:`.deezer` (API JSON) and :mod:`.apple` (iTunes / Apple Music
  library plist): parsed whole, within a size cap (:mod:`.document`).

:mod:`.dispatch` picks the parser and turns any failure into an error source; the
shared helpers are :mod:`.entry` (entry to Source), :mod:`.location` (paths, ``file://``
URIs, URLs, Windows paths) and :mod:`.isrc`. Expanding entries (existence, directories,
nested playlists and their cycles) is :func:`soundproof.scan.sources.iter_sources`'s
part.

URLs are not fetched here (but by the runner)
---------------------------------------------
An entry that is an http(s) URL (an internet radio stream in an M3U, a Spotify or
Deezer preview MP3) becomes a source whose ``path`` is the URL and whose ``remote`` is
True. Nothing in this package touches the network: the runner downloads remote sources
with :mod:`soundproof.scan.fetch`, which follows DESIGN.md (http(s) only, size and time
limits, no private or loopback targets unless configured) and caches what it fetched.
"""

from soundproof.scan.playlists.dispatch import PLAYLIST_EXTENSIONS, is_playlist_name, read_playlist

__all__ = ["PLAYLIST_EXTENSIONS", "is_playlist_name", "read_playlist"]
