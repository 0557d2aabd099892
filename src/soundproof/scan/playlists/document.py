"""Whole-document reads for the formats that cannot be streamed (JSON, plist), with a cap.

Spotify and Deezer exports are JSON and an Apple library is a plist: each has to be
parsed as one document. Those files are small in practice (a 10,000-track iTunes
library is about 20 MB), so they are read whole, but never more than
:data:`MAX_DOCUMENT_BYTES`: a larger file is refused with a clear error instead of
being loaded into memory. (XSPF, though XML, is parsed as a stream and needs no cap.)
"""

from __future__ import annotations

import json
import os
from typing import Any

from soundproof.scan.playlists.entry import PlaylistError

MAX_DOCUMENT_BYTES = 64 << 20
"""The largest JSON or plist playlist read (64 MiB)."""


def read_document(path: str) -> bytes:
    """The bytes of ``path``, or :class:`PlaylistError` if it is over the cap.

    The size is checked before reading and again while reading (a file that grows, or
    one whose size ``stat`` cannot tell), so at most the cap plus one byte is held.
    """
    cap = MAX_DOCUMENT_BYTES
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        data = file.read(cap + 1) if size <= cap else b""
    if size > cap or len(data) > cap:
        raise PlaylistError(
            f"the file is {max(size, len(data)) / (1 << 20):.0f} MiB or more, over the "
            f"{cap >> 20} MiB limit for JSON and XML playlists"
        )
    return data


def load_json(path: str) -> Any:
    """The JSON document at ``path`` (UTF-8, -16 or -32, BOM or not), within the cap."""
    data = read_document(path)
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise PlaylistError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except UnicodeDecodeError as exc:
        raise PlaylistError(f"not valid JSON: cannot decode the text ({exc.reason})") from None
    except RecursionError:
        raise PlaylistError("not a playlist: JSON nested too deeply") from None


__all__ = ["MAX_DOCUMENT_BYTES", "load_json", "read_document"]
