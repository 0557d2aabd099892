"""Turn the ``PATH...`` arguments of a scan into a stream of audio sources.

Files named on the command line are taken as given, whatever their extension: the
user asked for them, so the detector decides whether they are audio (and says so in an
``error`` row if not). Directories are walked recursively in sorted order and only files
with an audio extension are kept, so a music library with cover art, cue sheets and
playlists scans cleanly (each track once). A path that does not exist, or a directory
that cannot be read, becomes a :class:`Source` carrying an error message: a batch
records a failure as a row and goes on (DESIGN.md).

An argument with a playlist extension (``.m3u .m3u8 .pls .xspf .csv .json .xml``; see
:mod:`soundproof.scan.playlists`) is expanded in place into its entries, with their
metadata. Each local entry is then treated like an argument: a directory is walked, a
playlist is expanded in turn, a missing file is an error source. Nesting is guarded: a
playlist that includes itself, directly or through others, yields one error source
naming the cycle instead of being expanded again, and nesting deeper than
:data:`MAX_PLAYLIST_DEPTH` stops with an error source. URL entries are passed on as
``remote`` sources (see :mod:`soundproof.scan.playlists` on fetching).

Everything here is a generator. A directory walk holds one directory listing per level
of nesting, never the whole tree, and text playlists are read line by line, so a scan
of a million files starts at once and its memory does not grow with the size of the
library.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import replace

from soundproof.scan.playlists import PLAYLIST_EXTENSIONS, is_playlist_name, read_playlist
from soundproof.scan.source import Source

AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".mp3",
        ".m4a",
        ".aac",
        ".mp4",
        ".ogg",
        ".oga",
        ".opus",
        ".flac",
        ".wav",
        ".aif",
        ".aiff",
        ".wma",
        ".webm",
    }
)
"""Extensions (lower case, with the dot) kept when a directory is walked."""


def is_audio_name(name: str | os.PathLike[str]) -> bool:
    """Whether a file name has one of the :data:`AUDIO_EXTENSIONS` (case-insensitive)."""
    return os.path.splitext(os.fspath(name))[1].lower() in AUDIO_EXTENSIONS


MAX_PLAYLIST_DEPTH = 8
"""How deep playlists may include playlists; real libraries nest one or two levels."""

_Chain = tuple[tuple[str, str], ...]
"""The playlists being expanded, outermost first: (real path, path as named)."""


def iter_sources(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Source]:
    """Expand scan arguments into sources, lazily and in a stable order.

    Arguments keep their command-line order; a directory expands in place to its audio
    files, sorted by name at each level; a playlist expands in place to its entries, in
    playlist order. A missing argument yields an error source.
    """
    for raw in paths:
        yield from _expand(Source(path=os.fspath(raw)), chain=())


def _expand(entry: Source, chain: _Chain) -> Iterator[Source]:
    """One argument or local playlist entry: a directory, a playlist, a file, or nothing.

    ``entry`` carries the metadata of the playlist entry that named the path (none for
    a command-line argument); files found under a directory entry inherit it.
    """
    path = entry.path
    if os.path.isdir(path):
        yield from _walk(path, visited=set(), template=entry)
    elif os.path.exists(path):
        if is_playlist_name(path):
            yield from _expand_playlist(entry, chain)
        else:
            yield entry
    elif os.path.lexists(path):
        yield replace(entry, error="broken symbolic link")
    else:
        yield replace(entry, error="no such file or directory")


def _expand_playlist(entry: Source, chain: _Chain) -> Iterator[Source]:
    """The entries of the playlist ``entry`` names, each expanded in turn.

    A playlist already on ``chain`` (it includes itself, directly or through others)
    is not read again: one error source names the cycle. A failure of the playlist as a
    whole keeps the metadata of whatever named it, like any missing entry would.
    """
    real = os.path.realpath(entry.path)
    reals = [seen for seen, _ in chain]
    if real in reals:
        cycle = " -> ".join([named for _, named in chain[reals.index(real) :]] + [entry.path])
        yield replace(entry, error=f"playlist cycle: {cycle}; not expanded again")
        return
    if len(chain) >= MAX_PLAYLIST_DEPTH:
        yield replace(
            entry,
            error=f"playlists nested more than {MAX_PLAYLIST_DEPTH} deep; not expanded",
        )
        return
    inner = (*chain, (real, entry.path))
    for item in read_playlist(entry.path):
        if item.source is None:  # the playlist itself could not be read
            yield replace(entry, error=item.error)
        elif item.error is not None or item.remote:
            yield item
        else:
            yield from _expand(item, inner)


def _walk(
    directory: str, visited: set[tuple[int, int]], template: Source | None = None
) -> Iterator[Source]:
    """Yield the audio files under ``directory``, depth first, sorted by name.

    ``visited`` holds the (device, inode) of every directory on the way down, so a
    symbolic link that points back up the tree is skipped instead of looping forever.
    Each source copies ``template``'s metadata (that of the playlist entry that named
    the directory, if any). Playlist files met in a directory are not expanded: only
    audio extensions count, so a library with its playlists scans each track once.
    """
    base = template or Source(path=directory)
    try:
        stat = os.stat(directory)
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda entry: entry.name)
    except OSError as exc:
        yield replace(base, path=directory, error=f"cannot read directory: {exc.strerror or exc}")
        return
    key = (stat.st_dev, stat.st_ino)
    if key in visited:
        return
    visited.add(key)
    try:
        for entry in entries:
            try:
                if entry.is_dir():
                    yield from _walk(entry.path, visited, template)
                elif entry.is_file() and is_audio_name(entry.name):
                    yield replace(base, path=entry.path)
            except OSError as exc:
                yield replace(base, path=entry.path, error=f"cannot read: {exc.strerror or exc}")
    finally:
        visited.discard(key)


__all__ = [
    "AUDIO_EXTENSIONS",
    "MAX_PLAYLIST_DEPTH",
    "PLAYLIST_EXTENSIONS",
    "Source",
    "is_audio_name",
    "is_playlist_name",
    "iter_sources",
]
