"""The identity of an audio file: the SHA-256 of its bytes.

Caches and (later) attestations name a track by what it is, not where it lies: a
moved, renamed or duplicated file keeps its hash, and a re-encoded one does not.
"""

from __future__ import annotations

import hashlib
import os


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of the whole file at ``path`` (raises OSError if it cannot be read).

    Streams the file in blocks (``hashlib.file_digest``), so memory stays flat.
    """
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
