"""The vocabulary every playlist parser shares: how one entry becomes a :class:`Source`.

A parser knows one file format. It creates a :class:`Playlist` for the file it reads
and calls :meth:`Playlist.track` for an entry that names audio (a path, a ``file://``
URI or an http(s) URL) or :meth:`Playlist.unavailable` for an entry that names none
(a Spotify track without a preview, an Apple Music track that was never downloaded).
Both return a :class:`Source` that carries the entry's metadata, so every format fills
the verdict row's ``title``, ``artist``, ``isrc``, ``source``, ``platform`` and
``position`` the same way.

A problem with the whole file (not a playlist, undecodable, too large) is raised as
:class:`PlaylistError`; the dispatcher turns it into one error source, so a parser can
simply stop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from soundproof.scan.playlists.isrc import normalize_isrc
from soundproof.scan.playlists.location import resolve_location
from soundproof.scan.source import Source


class PlaylistError(Exception):
    """The playlist file as a whole cannot be read; the message is for the user."""


def text_of(value: object) -> str | None:
    """A metadata value as clean text: strings stripped, numbers spelt, anything else None.

    JSON and plist documents come from elsewhere, so a field may hold a number, a list or
    nothing at all where a string was expected; none of that may crash a scan.
    """
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def split_display_title(display: str | None) -> tuple[str | None, str | None]:
    """``"Artist - Title"`` as ``(title, artist)``; anything else is all title.

    That is the convention of M3U's ``#EXTINF`` line and of PLS ``TitleN`` keys, as
    Winamp, VLC and foobar2000 write them. Only the first `` - `` splits, so a title
    such as ``Song - Live`` keeps its own dash once the artist is set apart.
    """
    if display is None:
        return None, None
    artist, sep, title = display.partition(" - ")
    if sep and artist.strip() and title.strip():
        return title.strip(), artist.strip()
    return display.strip() or None, None


@dataclass(slots=True)
class Playlist:
    """One playlist file being read: where it is, what format it is, and its name.

    ``path`` is the file as it was given (it becomes each row's ``source``); relative
    entries resolve against its directory. ``name`` is the playlist's own title where
    the format has one; parsers set it when they meet it.
    """

    path: str
    platform: str
    name: str | None = None

    @property
    def base_dir(self) -> str:
        """The directory relative entries resolve against."""
        return os.path.dirname(self.path)

    def label(self, position: int) -> str:
        """A ``path`` for an entry that has no location of its own: ``list.json#3``."""
        return f"{self.path}#{position}"

    def track(
        self,
        position: int,
        location: str,
        *,
        uri: bool = False,
        title: object = None,
        artist: object = None,
        isrc: object = None,
    ) -> Source:
        """A source for an entry that names audio.

        ``location`` is resolved by :func:`~soundproof.scan.playlists.location.resolve_location`
        (``uri=True`` for formats whose locations are always URIs, so ``%20`` is a
        space). An unusable location gives an error source that keeps the metadata.
        """
        resolved = resolve_location(location, self.base_dir, uri=uri)
        return self._source(
            resolved.path if resolved.path.strip() else self.label(position),
            resolved.error,
            position,
            (title, artist, isrc),
            remote=resolved.remote,
        )

    def unavailable(
        self,
        position: int,
        error: str,
        *,
        label: str | None = None,
        title: object = None,
        artist: object = None,
        isrc: object = None,
    ) -> Source:
        """An error source for an entry with no audio to scan, keeping what is known of it."""
        return self._source(label or self.label(position), error, position, (title, artist, isrc))

    def _source(
        self,
        path: str,
        error: str | None,
        position: int,
        meta: tuple[object, object, object],
        *,
        remote: bool = False,
    ) -> Source:
        """A source of this playlist; ``meta`` is (title, artist, isrc) as the file gave them."""
        title, artist, isrc = meta
        return Source(
            path=path,
            error=error,
            title=text_of(title),
            artist=text_of(artist),
            isrc=normalize_isrc(isrc),
            source=self.path,
            platform=self.platform,
            position=position,
            playlist=self.name,
            remote=remote,
        )


__all__ = ["Playlist", "PlaylistError", "split_display_title", "text_of"]
