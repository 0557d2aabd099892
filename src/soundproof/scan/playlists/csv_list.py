"""Plain CSV track lists, read as a stream.

The first non-empty row is the header. It must name a ``path`` or a ``url`` column and
may name ``artist``, ``title`` and ``isrc`` (names are case-insensitive and stripped;
other columns are ignored). Each later non-empty row is one entry: its ``path`` when
that cell is filled, else its ``url``; relative paths resolve against the CSV's
directory, like every playlist. A row with neither is an error source.

The delimiter is whichever of ``,`` ``;`` and tab :class:`csv.Sniffer` finds in the
first 8 KiB (spreadsheets in many locales write ``;``), defaulting to ``,``. Only the
delimiter is taken from the sniffer: its guess of a quote character is easily fooled
by apostrophes in titles, so quoting stays the standard double quote. The encoding and
a BOM (Excel writes one) are handled by :mod:`~soundproof.scan.playlists.text`.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator

from soundproof.scan.playlists.entry import Playlist, PlaylistError
from soundproof.scan.playlists.text import SNIFF_BYTES, iter_text_lines
from soundproof.scan.source import Source

PLATFORM = "csv"

DELIMITERS = ",;\t"


def read_csv_list(path: str) -> Iterator[Source]:
    """Yield one source per data row of the CSV track list at ``path``, lazily."""
    lines = iter_text_lines(path)
    head: list[str] = []
    size = 0
    for line in lines:
        head.append(line)
        size += len(line)
        if size >= SNIFF_BYTES:
            break
    delimiter = _sniff_delimiter("".join(head))
    reader = csv.reader(itertools.chain(head, lines), delimiter=delimiter)
    playlist = Playlist(path, PLATFORM)
    try:
        columns = _header(reader)
        position = 0
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            position += 1
            yield _row_source(playlist, position, row, columns, reader.line_num)
    except csv.Error as exc:
        raise PlaylistError(f"CSV error at line {reader.line_num}: {exc}") from None


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:  # one column, or nothing to tell from
        return ","


def _header(reader: Iterator[list[str]]) -> dict[str, int]:
    """Column index by lower-case name, from the first non-empty row."""
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        columns: dict[str, int] = {}
        for index, cell in enumerate(row):
            columns.setdefault(cell.strip().lstrip("\ufeff").lower(), index)
        if "path" not in columns and "url" not in columns:
            shown = ", ".join(cell.strip() for cell in row[:8])
            raise PlaylistError(f"the CSV header has no 'path' or 'url' column (it has: {shown})")
        return columns
    raise PlaylistError("the CSV file is empty: no header with a 'path' or 'url' column")


def _row_source(
    playlist: Playlist, position: int, row: list[str], columns: dict[str, int], line: int
) -> Source:
    def cell(name: str) -> str | None:
        index = columns.get(name)
        if index is None or index >= len(row):
            return None
        return row[index].strip() or None

    title, artist, isrc = cell("title"), cell("artist"), cell("isrc")
    location = cell("path") or cell("url")
    if location is None:
        message = f"row {position} (line {line}) has no path or url"
        return playlist.unavailable(position, message, title=title, artist=artist, isrc=isrc)
    return playlist.track(position, location, title=title, artist=artist, isrc=isrc)


__all__ = ["DELIMITERS", "PLATFORM", "read_csv_list"]
