"""Where a playlist entry points: a local path, an http(s) URL, or nowhere usable.

Playlists write locations in many ways: relative paths (resolved against the
playlist's own directory, as every player does), absolute paths, ``file://`` URIs
(percent-encoded; ``file://localhost/...`` as iTunes writes them), http(s) URLs,
and Windows paths with backslashes. :func:`resolve_location` turns each into a
:class:`Resolved`; it never touches the network and never raises.

* A Windows path relative to the playlist (``Music\\Artist\\song.mp3``) is tried as
  written and then with ``/`` separators, so a playlist made on Windows for a folder
  copied here still resolves. A Windows absolute path (``C:\\...``, ``\\\\server\\share``)
  cannot mean anything on a POSIX system and is reported as such.
* Any other scheme (``spotify:``, ``ftp:``, ``rtsp:``, ``smb:``...) is an error: the scan
  reads local files, and http(s) URLs through :mod:`soundproof.scan.fetch`.
* Nothing here checks that a local path exists; the expansion in
  :mod:`soundproof.scan.sources` does, since it also has to recognise directories and
  nested playlists.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_WINDOWS_ABSOLUTE = re.compile(r"[A-Za-z]:[\\/]|\\\\")
_WINDOWS_DRIVE_IN_URI = re.compile(r"/?[A-Za-z]:[\\/]")
_POSIX = os.sep == "/"


@dataclass(frozen=True, slots=True)
class Resolved:
    """The outcome of resolving one location.

    ``path`` is the local path or URL to scan (or, with ``error``, the location as
    written, for the error row); ``remote`` is True for an http(s) URL.
    """

    path: str
    error: str | None = None
    remote: bool = False


def is_url(text: str) -> bool:
    """Whether ``text`` is an http(s) URL with a host: the only remote locations accepted."""
    match = _SCHEME.match(text)
    if match is None or match[1].lower() not in ("http", "https"):
        return False
    try:
        return bool(urlsplit(text).hostname)
    except ValueError:  # e.g. an invalid IPv6 literal
        return False


def resolve_location(location: str, base_dir: str, *, uri: bool = False) -> Resolved:
    """Resolve a playlist entry against ``base_dir`` (the playlist's directory).

    ``uri=True`` says the location is a URI reference even without a scheme (XSPF,
    Apple), so a relative one is percent-decoded (``My%20Song.mp3``); plain paths (M3U,
    PLS, CSV) are taken literally, since ``%`` is a legal file-name character.
    """
    text = location.strip()
    if not text:
        return Resolved(path=location, error="the entry has no location")
    match = _SCHEME.match(text)
    # A one-letter "scheme" is a Windows drive (C:\...), handled with the paths below.
    if match is not None and len(match[1]) > 1:
        scheme = match[1].lower()
        if scheme in ("http", "https"):
            if not is_url(text):
                return Resolved(path=text, error="malformed URL (no host)")
            return Resolved(path=text, remote=True)
        if scheme == "file":
            return _file_uri(text)
        return Resolved(
            path=text,
            error=(
                f"unsupported location '{scheme}:': only local paths, file:// URIs and "
                "http(s) URLs can be scanned"
            ),
        )
    path = unquote(text) if uri else text
    if _POSIX and _WINDOWS_ABSOLUTE.match(path):
        return Resolved(path=path, error=_windows_absolute(path))
    joined = os.path.normpath(os.path.join(base_dir, path))
    if _POSIX and "\\" in path and not os.path.lexists(joined):
        # Backslash is a legal POSIX file-name character, so the literal form had its
        # chance first; now read it as a Windows separator.
        return Resolved(path=os.path.normpath(os.path.join(base_dir, path.replace("\\", "/"))))
    return Resolved(path=joined)


def _file_uri(text: str) -> Resolved:
    """A ``file:`` URI on this machine as a local path."""
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        return Resolved(path=text, error=f"malformed file URI: {exc}")
    host = parts.netloc.lower()
    if host not in ("", "localhost"):
        return Resolved(path=text, error=f"file URI on another host ({parts.netloc})")
    path = unquote(parts.path)
    if not path:
        return Resolved(path=text, error="file URI without a path")
    if _WINDOWS_DRIVE_IN_URI.match(path):
        if _POSIX:
            return Resolved(path=text, error=_windows_absolute(path.lstrip("/")))
        path = path.lstrip("/").replace("/", "\\")  # pragma: no cover - Windows only
    return Resolved(path=os.path.normpath(path))


def _windows_absolute(path: str) -> str:
    return (
        f"a Windows path ({path[:3]}...) cannot be found on this system; "
        "make the playlist's paths relative or export it here"
    )


__all__ = ["Resolved", "is_url", "resolve_location"]
