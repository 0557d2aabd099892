"""Pick the parser for a playlist file, and make sure nothing it meets can crash a scan.

The format comes from the extension; ``.json`` and ``.xml`` are shared by several
formats, so their content decides:

======================  ==========================================================
``.m3u``, ``.m3u8``     :mod:`~soundproof.scan.playlists.m3u`
``.pls``                :mod:`~soundproof.scan.playlists.pls`
``.xspf``               :mod:`~soundproof.scan.playlists.xspf`
``.csv``                :mod:`~soundproof.scan.playlists.csv_list`
``.json``               Spotify (``tracks.items`` / ``items``) or Deezer
                        (``tracks.data`` / ``data``), by the document's shape
``.xml``                Apple/iTunes library (a plist) or XSPF, by the first 4 KiB
======================  ==========================================================

:func:`read_playlist` never raises: a problem with the file as a whole (missing,
unreadable, binary, undecodable, invalid JSON or XML, an unknown shape, over the size
cap, even a bug in a parser) is one error :class:`~soundproof.scan.source.Source` whose
``path`` is the playlist, after whatever entries were read before it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping

from soundproof.scan.playlists import apple, deezer, spotify
from soundproof.scan.playlists.csv_list import read_csv_list
from soundproof.scan.playlists.document import load_json
from soundproof.scan.playlists.entry import PlaylistError, text_of
from soundproof.scan.playlists.m3u import read_m3u
from soundproof.scan.playlists.pls import read_pls
from soundproof.scan.playlists.xspf import read_xspf
from soundproof.scan.source import Source

_TEXT_READERS: dict[str, tuple[str, Callable[[str], Iterator[Source]]]] = {
    ".m3u": ("m3u", read_m3u),
    ".m3u8": ("m3u", read_m3u),
    ".pls": ("pls", read_pls),
    ".xspf": ("xspf", read_xspf),
    ".csv": ("csv", read_csv_list),
}

PLAYLIST_EXTENSIONS: frozenset[str] = frozenset({*_TEXT_READERS, ".json", ".xml"})
"""Extensions (lower case, with the dot) that make a scan argument or entry a playlist."""

XML_SNIFF_BYTES = 4096


def is_playlist_name(name: str | os.PathLike[str]) -> bool:
    """Whether a file name has one of the :data:`PLAYLIST_EXTENSIONS` (case-insensitive)."""
    return os.path.splitext(os.fspath(name))[1].lower() in PLAYLIST_EXTENSIONS


def read_playlist(path: str) -> Iterator[Source]:
    """Yield the entries of the playlist at ``path`` as sources; never raises.

    Entries are not checked for existence nor expanded (directories, nested playlists):
    that is :func:`soundproof.scan.sources.iter_sources`'s job.
    """
    extension = os.path.splitext(path)[1].lower()
    platform, reader = _TEXT_READERS.get(extension, (None, None))
    try:
        if reader is not None:
            yield from reader(path)
        elif extension == ".json":
            yield from _read_json(path)
        elif extension == ".xml":
            yield from _read_xml(path)
        else:
            raise PlaylistError(f"unknown playlist extension {extension!r}")
    except PlaylistError as exc:
        yield _whole_file_error(path, platform, str(exc))
    except OSError as exc:
        yield _whole_file_error(path, platform, f"cannot read it: {exc.strerror or exc}")
    except Exception as exc:  # a parser bug must cost one row, not the batch
        message = f"internal error while reading it: {type(exc).__name__}: {exc}"
        yield _whole_file_error(path, platform, message)


def _whole_file_error(path: str, platform: str | None, message: str) -> Source:
    kind = f"{platform} playlist" if platform else "playlist"
    return Source(path=path, error=f"{kind}: {message}", platform=platform)


def _read_json(path: str) -> Iterator[Source]:
    doc = load_json(path)
    if spotify.looks_like_spotify(doc):
        yield from spotify.read_spotify(path, doc)
    elif deezer.looks_like_deezer(doc):
        yield from deezer.read_deezer(path, doc)
    else:
        raise PlaylistError(_unknown_json(doc))


def _unknown_json(doc: object) -> str:
    """Say why a JSON document is not a playlist, as precisely as its shape allows."""
    if isinstance(doc, Mapping):
        error = doc.get("error")
        if isinstance(error, Mapping):  # both APIs wrap failures as {"error": {...}}
            detail = text_of(error.get("message")) or text_of(error.get("type")) or "?"
            return f"the file holds an API error response, not a playlist: {detail}"
        keys = ", ".join(sorted(str(key) for key in doc)[:8]) or "none"
        found = f"an object with keys: {keys}"
    else:
        found = f"a JSON {type(doc).__name__}"
    return (
        "unknown JSON shape: expected a Spotify playlist (tracks.items) or tracks page "
        f"(items), or a Deezer playlist (tracks.data) or tracks page (data); found {found}"
    )


def _read_xml(path: str) -> Iterator[Source]:
    with open(path, "rb") as file:
        head = file.read(XML_SNIFF_BYTES)
    if apple.looks_like_plist(head):
        yield from apple.read_apple(path)
    elif b"xspf.org/ns" in head or b"<playlist" in head:
        yield from read_xspf(path)
    else:
        raise PlaylistError(
            "unknown XML playlist: expected an Apple Music / iTunes library (plist) or XSPF"
        )


__all__ = ["PLAYLIST_EXTENSIONS", "is_playlist_name", "read_playlist"]
