"""Turn the ``PATH...`` arguments of a scan into a stream of audio sources.

Files named on the command line are taken as given, whatever their extension: the
user asked for them, so the detector decides whether they are audio (and says so in an
``error`` row if not). Directories are walked recursively in sorted order and only files
with an audio extension are kept, so a music library with cover art and cue sheets scans
cleanly. A path that does not exist, or a directory that cannot be read, becomes a
:class:`Source` carrying an error message: a batch records a failure as a row and goes
on (DESIGN.md).

Everything here is a generator. A directory walk holds one directory listing per level
of nesting, never the whole tree, so a scan of a million files starts at once and its
memory does not grow with the size of the library.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Source:
    """One track to analyse, or one input that could not be turned into a track.

    ``error`` is set when the input itself is unusable (missing path, unreadable
    directory); such a source is reported as an ``error`` row without being analysed.
    The metadata fields are filled by sources that know them (playlists) and copied
    into the verdict row.
    """

    path: str
    error: str | None = None
    title: str | None = None
    artist: str | None = None
    isrc: str | None = None
    source: str | None = None


def is_audio_name(name: str | os.PathLike[str]) -> bool:
    """Whether a file name has one of the :data:`AUDIO_EXTENSIONS` (case-insensitive)."""
    return os.path.splitext(os.fspath(name))[1].lower() in AUDIO_EXTENSIONS


def iter_sources(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Source]:
    """Expand scan arguments into sources, lazily and in a stable order.

    Arguments keep their command-line order; a directory expands in place to its audio
    files, sorted by name at each level. A missing argument yields an error source.
    """
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isdir(path):
            yield from _walk(path, visited=set())
        elif os.path.exists(path):
            yield Source(path=path)
        elif os.path.lexists(path):
            yield Source(path=path, error="broken symbolic link")
        else:
            yield Source(path=path, error="no such file or directory")


def _walk(directory: str, visited: set[tuple[int, int]]) -> Iterator[Source]:
    """Yield the audio files under ``directory``, depth first, sorted by name.

    ``visited`` holds the (device, inode) of every directory on the way down, so a
    symbolic link that points back up the tree is skipped instead of looping forever.
    """
    try:
        stat = os.stat(directory)
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda entry: entry.name)
    except OSError as exc:
        yield Source(path=directory, error=f"cannot read directory: {exc.strerror or exc}")
        return
    key = (stat.st_dev, stat.st_ino)
    if key in visited:
        return
    visited.add(key)
    try:
        for entry in entries:
            try:
                if entry.is_dir():
                    yield from _walk(entry.path, visited)
                elif entry.is_file() and is_audio_name(entry.name):
                    yield Source(path=entry.path)
            except OSError as exc:
                yield Source(path=entry.path, error=f"cannot read: {exc.strerror or exc}")
    finally:
        visited.discard(key)


__all__ = ["AUDIO_EXTENSIONS", "Source", "is_audio_name", "iter_sources"]
