"""Read a text playlist (M3U, PLS, CSV) as a stream of decoded lines, whatever its encoding.

Playlists come from every player and every decade, so the encoding is found, not
assumed, using the standard library only (a detector such as charset-normalizer would
be one more dependency for a problem this narrow):

* A byte-order mark decides: UTF-8, UTF-16 (LE/BE) or UTF-32 (LE/BE).
* Without one, a sample whose NUL bytes fall on every other position is UTF-16 without
  a BOM (Windows tools write it).
* Otherwise each line is decoded on its own: as UTF-8 if it is valid UTF-8, else as
  Windows-1252 (a superset of Latin-1 for printable text, what Winamp and older iTunes
  wrote), else as Latin-1, which decodes any byte. Deciding per line, rather than for
  the whole file, keeps the read streaming and copes with playlists that were appended
  to by tools with different defaults.

Line ends are kept (``\\n``, ``\\r\\n``) so that the CSV reader can see quoted newlines;
the M3U and PLS parsers strip them and also split on a lone ``\\r`` (classic Mac).

A file is refused as a whole (:class:`~soundproof.scan.playlists.entry.PlaylistError`)
when it is binary (NUL bytes or many control characters in its first 8 KiB, or a NUL
byte in any later line), when a UTF-16/32 file does not decode, or when a line is longer
than :data:`MAX_LINE_BYTES` (no playlist has such lines; a file without line ends
would otherwise be read whole). Entries already read stay valid: the error comes after
them.

Memory is one line at a time, whatever the size of the file.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import BinaryIO

from soundproof.scan.playlists.entry import PlaylistError

SNIFF_BYTES = 8192
"""How much of the file decides its encoding and whether it is text at all."""

MAX_LINE_BYTES = 1 << 20
"""The longest line accepted (1 MiB); real entries are a few hundred bytes."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v\x1a\x1b")  # tab, line ends, DOS EOF, ANSI escape


def iter_text_lines(path: str) -> Iterator[str]:
    """Yield the lines of the text file at ``path``, decoded, with their line ends.

    Raises :class:`PlaylistError` (possibly after some lines) for binary or undecodable
    content and :class:`OSError` when the file cannot be read.
    """
    with open(path, "rb") as raw:
        head = raw.read(SNIFF_BYTES)
        encoding, skip = _wide_encoding(head)
        raw.seek(skip)
        if encoding is not None:
            yield from _wide_lines(raw, encoding)
            return
        if _looks_binary(head[skip:]):
            raise PlaylistError("binary data, not a text playlist")
        yield from _byte_lines(raw)


def _wide_encoding(head: bytes) -> tuple[str | None, int]:
    """The encoding that a BOM or a NUL pattern announces, and the BOM's length.

    ``None`` means "8-bit or UTF-8: decide per line"; a UTF-8 BOM only needs skipping.
    """
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return (None if encoding == "utf-8" else encoding), len(bom)
    sample = head[: len(head) // 2 * 2]
    if len(sample) >= 4 and b"\x00" in sample:
        even, odd = sample[0::2], sample[1::2]
        nul_even, nul_odd = even.count(0) / len(even), odd.count(0) / len(odd)
        if nul_odd > 0.3 and nul_even < 0.05:
            return "utf-16-le", 0
        if nul_even > 0.3 and nul_odd < 0.05:
            return "utf-16-be", 0
    return None, 0


def _looks_binary(sample: bytes) -> bool:
    """NUL bytes, or more than 5% control characters that text files do not use."""
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return controls > 0.05 * len(sample)


def _byte_lines(raw: BinaryIO) -> Iterator[str]:
    for number, line in enumerate(iter(lambda: raw.readline(MAX_LINE_BYTES + 1), b""), 1):
        if len(line) > MAX_LINE_BYTES:
            raise PlaylistError(f"line {number} is longer than {MAX_LINE_BYTES} bytes")
        if b"\x00" in line:
            raise PlaylistError(f"binary data at line {number}, not a text playlist")
        yield _decode_line(line)


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return line.decode("latin-1")


def _wide_lines(raw: BinaryIO, encoding: str) -> Iterator[str]:
    text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
    limit = MAX_LINE_BYTES // 2
    number = 0
    try:
        while line := text.readline(limit + 1):
            number += 1
            if len(line) > limit:
                raise PlaylistError(f"line {number} is longer than {MAX_LINE_BYTES} bytes")
            if "\x00" in line:
                raise PlaylistError(f"binary data at line {number}, not a text playlist")
            yield line
    except UnicodeDecodeError as exc:
        name = encoding.upper().replace("-LE", "").replace("-BE", "")
        raise PlaylistError(f"cannot decode as {name} after line {number}: {exc.reason}") from None
    finally:
        text.detach()  # the caller's ``with`` closes the file


__all__ = ["MAX_LINE_BYTES", "SNIFF_BYTES", "iter_text_lines"]
