"""XSPF ("spiff") playlists: XML, parsed safely and as a stream.

The parts of `XSPF 1 <https://xspf.org/spec>`_ a scan needs::

    <playlist version="1" xmlns="http://xspf.org/ns/0/">
      <title>Road trip</title>
      <trackList>
        <track>
          <location>music/01%20Intro.flac</location>
          <title>Intro</title>
          <creator>Artist</creator>
          <identifier>isrc:USRC17607839</identifier>
        </track>
      </trackList>
    </playlist>

``location`` is a URI: relative ones resolve against the playlist's directory and
are percent-decoded; the first ``location`` of a track is used (later ones are
alternatives). ``identifier`` may be any URI; the first one that holds a valid ISRC
(``isrc:...``, ``urn:isrc:...`` or a bare code) fills the row's ``isrc``. A track
without a location becomes an error source. Elements are matched by local name, so a
file that forgot the namespace still reads.

The file is fed to expat in 64 KiB chunks and tracks are yielded as they close, so
memory does not depend on the length of the playlist; invalid XML met part-way gives an
error after the tracks before it. See :mod:`~soundproof.scan.playlists.safexml` for why
expat, used this way, is safe against entity attacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from soundproof.scan.playlists.entry import Playlist, PlaylistError
from soundproof.scan.playlists.isrc import normalize_isrc
from soundproof.scan.playlists.safexml import UnsafeXMLError, local_name, safe_parser
from soundproof.scan.source import Source

PLATFORM = "xspf"

CHUNK_BYTES = 1 << 16

_TRACK_FIELDS = frozenset({"location", "title", "creator", "identifier"})


@dataclass(slots=True)
class _Track:
    location: str | None = None
    title: str | None = None
    creator: str | None = None
    isrc: str | None = None


@dataclass(slots=True)
class _State:
    """What the expat callbacks have seen so far; ``done`` holds tracks not yet yielded."""

    stack: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    track: _Track | None = None
    done: list[_Track] = field(default_factory=list)
    root_checked: bool = False


def read_xspf(path: str) -> Iterator[Source]:
    """Yield one source per ``<track>`` of the XSPF playlist at ``path``, lazily."""
    playlist = Playlist(path, PLATFORM)
    state = _State()
    parser = safe_parser()

    def start(name: str, _attrs: dict[str, str]) -> None:
        tag = local_name(name)
        if not state.root_checked:
            state.root_checked = True
            if tag != "playlist":
                raise PlaylistError(f"not an XSPF playlist: the root element is <{tag}>")
        if tag == "track" and state.stack[-1:] == ["trackList"]:
            state.track = _Track()
        state.stack.append(tag)
        state.text.clear()

    def end(name: str) -> None:
        tag = local_name(name)
        state.stack.pop()
        value = "".join(state.text).strip() or None
        state.text.clear()
        parent = state.stack[-1] if state.stack else None
        track = state.track
        if track is not None and parent == "track" and tag in _TRACK_FIELDS and value:
            _set_field(track, tag, value)
        elif tag == "track" and track is not None and parent == "trackList":
            state.done.append(track)
            state.track = None
        elif tag == "title" and parent == "playlist" and playlist.name is None:
            playlist.name = value

    def chars(data: str) -> None:
        state.text.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars

    position = 0
    with open(path, "rb") as file:
        while True:
            chunk = file.read(CHUNK_BYTES)
            failure: PlaylistError | None = None
            try:
                _feed(parser, chunk, final=not chunk)
            except PlaylistError as exc:  # the tracks closed before the error still count
                failure = exc
            for track in state.done:
                position += 1
                yield _source(playlist, position, track)
            state.done.clear()
            if failure is not None:
                raise failure
            if not chunk:
                break
    if not state.root_checked:
        raise PlaylistError("not an XSPF playlist: the file is empty")


def _set_field(track: _Track, tag: str, value: str) -> None:
    if tag == "location":
        track.location = track.location or value
    elif tag == "title":
        track.title = track.title or value
    elif tag == "creator":
        track.creator = track.creator or value
    elif track.isrc is None:  # identifier
        track.isrc = normalize_isrc(value, strict=True)


def _feed(parser: expat.XMLParserType, chunk: bytes, *, final: bool) -> None:
    """Feed expat, turning its complaints into :class:`PlaylistError`."""
    try:
        parser.Parse(chunk, final)
    except expat.ExpatError as exc:
        message = expat.ErrorString(exc.code) if exc.code else str(exc)
        raise PlaylistError(
            f"not valid XML: {message} (line {exc.lineno}, column {exc.offset + 1})"
        ) from None
    except UnsafeXMLError as exc:
        raise PlaylistError(str(exc)) from None


def _source(playlist: Playlist, position: int, track: _Track) -> Source:
    if track.location is None:
        return playlist.unavailable(
            position,
            "the XSPF track has no <location>",
            title=track.title,
            artist=track.creator,
            isrc=track.isrc,
        )
    return playlist.track(
        position,
        track.location,
        uri=True,
        title=track.title,
        artist=track.creator,
        isrc=track.isrc,
    )


__all__ = ["PLATFORM", "read_xspf"]
