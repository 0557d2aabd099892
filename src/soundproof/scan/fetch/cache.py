"""Downloaded audio, kept once by content, with an index from URL to content.

Layout under the cache root (``$SOUNDPROOF_HOME/cache/fetch``)::

    objects/ab/abcdef...   the bytes, named by their SHA-256 (hex), no extension
    index/12/1234ef....json  one entry per URL, named by the SHA-256 of the URL:
                             {"url", "sha256", "size", "fetched_at", "final_url",
                              "content_type", "addresses"}
    tmp/                     downloads in progress (same file system, for renames)

Why this shape:

* **Content addressing.** Two URLs that serve the same bytes (a preview mirrored on two
  CDNs, a playlist listing the same track twice) share one file, and the name doubles
  as a checksum. The hash is the same SHA-256 the results store keys verdicts by.
* **One small file per URL** rather than one index file: threads and processes that
  fetch at the same time never rewrite each other's entries, and a corrupt entry costs
  one URL, not the index.
* **Where it came from.** An entry records the server address of every hop of its
  download, so that the fetcher serves a cached copy only if the address policy in force
  now would have allowed fetching it (a copy fetched with ``--allow-private-urls`` from
  an internal host is not handed to a later scan without the flag).
* **Atomic writes.** Both the object and the entry are written to a temporary file and
  renamed into place, so a reader sees a whole file or none, and a download that failed
  or was killed halfway leaves nothing that looks like a success. The entry is written
  only after its object is in place.

The decoder reads files by content (it probes the container), so objects need no
extension.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

STALE_TEMP_S = 24 * 3600.0
"""Temporary files older than this are leftovers of a killed download, removed on open."""


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """What the index knows about one URL; ``path`` is the object holding its bytes."""

    url: str
    sha256: str
    size: int
    fetched_at: float
    final_url: str
    content_type: str | None
    path: Path
    addresses: tuple[str, ...] = ()


class FetchCache:
    """The on-disk cache of downloads (see the module docstring for the layout)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.index = root / "index"
        self.tmp = root / "tmp"
        for folder in (self.objects, self.index, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temps()

    def object_path(self, sha256: str) -> Path:
        """Where the bytes with this SHA-256 (lower-case hex) live."""
        return self.objects / sha256[:2] / sha256

    def _entry_path(self, url: str) -> Path:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.index / key[:2] / f"{key}.json"

    def lookup(self, url: str, *, max_age_s: float = 0.0) -> CacheEntry | None:
        """The entry of ``url`` if it is cached and its object is intact, else None.

        ``max_age_s`` > 0 treats entries fetched longer ago as missing. An unreadable
        entry, or one whose object is gone or has the wrong size, is a miss too: the URL
        is simply downloaded again.
        """
        try:
            data = json.loads(self._entry_path(url).read_text(encoding="utf-8"))
            entry = CacheEntry(
                url=str(data["url"]),
                sha256=str(data["sha256"]),
                size=int(data["size"]),
                fetched_at=float(data["fetched_at"]),
                final_url=str(data.get("final_url") or data["url"]),
                content_type=data.get("content_type"),
                path=self.object_path(str(data["sha256"])),
                addresses=tuple(str(a) for a in data.get("addresses") or ()),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if entry.url != url:  # two URLs whose hashes collide: not this one's entry
            return None
        if max_age_s > 0 and time.time() - entry.fetched_at > max_age_s:
            return None
        try:
            if entry.path.stat().st_size != entry.size:
                return None
        except OSError:
            return None
        return entry

    def temp_file(self) -> tuple[IO[bytes], Path]:
        """A new temporary file to download into (the caller removes it on failure)."""
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - handed to the caller
            dir=self.tmp, prefix="download-", suffix=".part", delete=False
        )
        return handle, Path(handle.name)

    def store(
        self,
        url: str,
        temp: Path,
        *,
        sha256: str,
        size: int,
        final_url: str,
        content_type: str | None,
        addresses: tuple[str, ...] = (),
    ) -> CacheEntry:
        """Move a finished download into place and record ``url`` -> its content.

        If the same bytes are already stored (another URL, or a concurrent download of
        this one), the temporary file is dropped and the existing object is shared.
        ``addresses`` are the server addresses the download was received from.
        """
        target = self.object_path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and target.stat().st_size == size:
            temp.unlink(missing_ok=True)
        else:
            os.replace(temp, target)
        entry = CacheEntry(
            url=url,
            sha256=sha256,
            size=size,
            fetched_at=time.time(),
            final_url=final_url,
            content_type=content_type,
            path=target,
            addresses=addresses,
        )
        record = {
            "url": url,
            "sha256": sha256,
            "size": size,
            "fetched_at": entry.fetched_at,
            "final_url": final_url,
            "content_type": content_type,
            "addresses": list(addresses),
        }
        self._write_atomically(self._entry_path(url), json.dumps(record).encode("utf-8"))
        return entry

    def _write_atomically(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = self.temp_file()
        try:
            with handle:
                handle.write(data)
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def _remove_stale_temps(self) -> None:
        cutoff = time.time() - STALE_TEMP_S
        with contextlib.suppress(OSError):
            for leftover in self.tmp.iterdir():
                with contextlib.suppress(OSError):
                    if leftover.stat().st_mtime < cutoff:
                        leftover.unlink()


__all__ = ["STALE_TEMP_S", "CacheEntry", "FetchCache"]
