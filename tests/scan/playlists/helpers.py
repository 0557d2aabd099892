"""Helpers shared by the playlist parser tests."""

from __future__ import annotations

import tracemalloc
from itertools import islice
from pathlib import Path

from soundproof.scan.playlists import read_playlist
from soundproof.scan.source import Source


def read(path: Path) -> list[Source]:
    """Every source the dispatcher yields for ``path`` (entries are not expanded)."""
    return list(read_playlist(str(path)))


def only_error(sources: list[Source]) -> str:
    """The message of the single error source in ``sources``."""
    assert len(sources) == 1, sources
    assert sources[0].error is not None
    return sources[0].error


def first_entries_and_peak(path: Path, count: int) -> tuple[list[Source], int]:
    """The first ``count`` sources of ``path`` and the peak memory (bytes) of reading them.

    A streaming parser reads a few lines to yield the first entries, so the peak stays
    far below the size of a long playlist.
    """
    tracemalloc.start()
    sources = read_playlist(str(path))
    try:
        first = list(islice(sources, count))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        sources.close()
    return first, peak
