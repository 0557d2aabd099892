"""What a scan is fed: one :class:`Source` per track, or per input that could not be used.

This lives in its own module (re-exported by :mod:`soundproof.scan.sources`) so that the
argument expansion in ``sources`` and the playlist parsers in ``scan.playlists``, which
``sources`` calls, can both build sources without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Source:
    """One track to analyse, or one input that could not be turned into a track.

    ``error`` is set when the input itself is unusable (missing path, unreadable
    directory or playlist, a playlist entry with no audio behind it); such a source is
    reported as an ``error`` row without being analysed.

    The metadata fields are filled by sources that know them (playlists) and copied
    into the verdict row: ``source`` is the playlist that named the track,
    ``platform`` its format (``m3u``, ``pls``, ``xspf``, ``spotify``, ``apple``,
    ``deezer``, ``csv``) and ``position`` the 1-based index of the entry in it.
    ``playlist`` is the name of the playlist inside that file where the format has one
    (an Apple library holds several); it is not (yet) a column of the verdict row.

    ``remote`` marks a ``path`` that is an http(s) URL rather than a local file. The
    runner downloads it first (:mod:`soundproof.scan.fetch`) and sets ``local`` to the
    downloaded copy, which is what gets analysed; the row keeps the URL as its path.
    """

    path: str
    error: str | None = None
    title: str | None = None
    artist: str | None = None
    isrc: str | None = None
    source: str | None = None
    platform: str | None = None
    position: int | None = None
    playlist: str | None = None
    remote: bool = False
    local: str | None = None


__all__ = ["Source"]
