"""Download the http(s) entries of playlists, safely, into a cache (DESIGN.md, Security defaults).

* :mod:`.policy`: http(s) only; which addresses may be reached (no private, loopback,
  link-local, multicast, unspecified or reserved targets unless allowed).
* :mod:`.network`: resolves each host itself, checks every address, and connects only
  to a checked one (no DNS rebinding between check and connect); one deadline per
  download that no slow server can stretch.
* :mod:`.client`: :class:`Fetcher`, one download: redirects followed by hand and
  re-checked, status, content type, size cap.
* :mod:`.cache`: content stored once by SHA-256, with an index from URL to content.
* :mod:`.prefetch`: :func:`fetch_remote`, the scan's side: downloads run in a few
  threads ahead of the analysis workers.

The names below are imported lazily, so that a scan without URLs does not import httpx.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from soundproof.scan.fetch.client import Fetched, Fetcher, FetchOptions
    from soundproof.scan.fetch.policy import AddressPolicy
    from soundproof.scan.fetch.prefetch import fetch_remote

_EXPORTS = {
    "AddressPolicy": "soundproof.scan.fetch.policy",
    "FetchOptions": "soundproof.scan.fetch.client",
    "Fetched": "soundproof.scan.fetch.client",
    "Fetcher": "soundproof.scan.fetch.client",
    "fetch_remote": "soundproof.scan.fetch.prefetch",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = ["AddressPolicy", "FetchOptions", "Fetched", "Fetcher", "fetch_remote"]
