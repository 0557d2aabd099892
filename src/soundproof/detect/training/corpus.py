"""The real-music ("human") training corpus: Debian game soundtracks, found, listed and cut.

Why these packages
------------------
The detector learns the difference between real music and the same music passed through
neural decoders, so the real side must be music whose licence lets us train on it and that
anybody can fetch again bit for bit. The corpus therefore comes **only** from these Debian
packages (:data:`PACKAGES`), downloaded with ``apt-get download`` into
``<cache>/debian`` and unpacked with ``dpkg-deb -x``:

* ``warzone2100-music``, ``wesnoth-1.16-music``, ``supertux-data``, ``widelands-data``,
  ``flare-game``: soundtracks shipped as Ogg Vorbis / Opus files;
* ``freedoom``: the Freedoom WADs hold their music as MIDI (or Doom's MUS) lumps, which are
  extracted, converted to Standard MIDI when needed (:func:`mus_to_midi`) and rendered to
  44.1 kHz FLAC with the ``fluidsynth`` program and the FluidR3_GM SoundFont from the
  ``fluid-soundfont-gm`` package (:data:`SOUNDFONT_PACKAGE`).

Which files count as music
--------------------------
Several of these packages also ship sound effects, speech and ambience. The rule, the same
for every package, is: a file is a track when

1. it lies under one of the package's music directories (:data:`MUSIC_DIRS`, glob patterns
   such as ``usr/share/games/flare/mods/*/music``; sound-effect directories are never
   looked at), **and**
2. its suffix is one of :data:`AUDIO_SUFFIXES`, **and**
3. it lasts at least :data:`MIN_TRACK_S` seconds, which drops the short stingers (victory
   and defeat jingles, voice cues) that also live in the music directories, **and**
4. its name is not in :data:`EXCLUDED_NAMES` (ambient loops kept in a music directory).

Only the music directories are kept after extraction; the rest of each package is deleted.

Layout under the cache root (:func:`soundproof.config.get_settings` ``.cache_dir``)::

    debian/<package>_<version>_all.deb      downloaded packages
    corpus/<package>/...                    the music directories, extracted
    corpus/freedoom/midi/*.mid              Freedoom's music lumps as Standard MIDI
    corpus/freedoom/rendered/*.flac         ... rendered with FluidSynth
    corpus/manifest.json                    the track listing, so later calls are instant
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from soundproof.audio import iter_blocks, load, probe, write
from soundproof.errors import AudioError, TrainingError, UsageError

Log = Callable[[str], object]

FREEDOOM = "freedoom"
"""The package whose music is MIDI inside WAD files and has to be rendered."""

PACKAGES: tuple[str, ...] = (
    "warzone2100-music",
    "wesnoth-1.16-music",
    "supertux-data",
    "widelands-data",
    "flare-game",
    FREEDOOM,
)
"""The only sources of real music for training (see the module docstring)."""

SOUNDFONT_PACKAGE = "fluid-soundfont-gm"
"""Debian package with the General MIDI SoundFont used to render Freedoom's music."""

SOUNDFONT_PATH = "usr/share/sounds/sf2/FluidR3_GM.sf2"
"""Where the SoundFont lies inside :data:`SOUNDFONT_PACKAGE`."""

MUSIC_DIRS: dict[str, tuple[str, ...]] = {
    "warzone2100-music": ("usr/share/games/warzone2100/music",),
    "wesnoth-1.16-music": ("usr/share/games/wesnoth/1.16/data/core/music",),
    "supertux-data": ("usr/share/games/supertux2/music",),
    "widelands-data": ("usr/share/games/widelands/data/music",),
    "flare-game": ("usr/share/games/flare/mods/*/music",),
    FREEDOOM: ("usr/share/games/doom",),
    SOUNDFONT_PACKAGE: ("usr/share/sounds/sf2",),
}
"""Per package, the directories (glob patterns, relative to the extracted tree) kept after
extraction. For audio packages these are the music directories searched for tracks; for
Freedoom the directory holding the WADs; for the SoundFont package the ``sf2`` directory."""

AUDIO_SUFFIXES: frozenset[str] = frozenset({".ogg", ".opus", ".flac", ".wav", ".mp3"})
"""File suffixes (lower case) that are looked at as possible tracks."""

MIN_TRACK_S = 30.0
"""Files shorter than this are jingles or cues, not music tracks, and are left out."""

EXCLUDED_NAMES: dict[str, frozenset[str]] = {
    "flare-game": frozenset({"wind_ambient.ogg"}),
}
"""Per package, file names in a music directory that are ambience rather than music."""

FREEDOOM_WADS: tuple[str, ...] = ("freedoom1.wad", "freedoom2.wad")
"""The Freedoom IWADs whose music lumps are rendered."""

RENDER_RATE = 44_100
"""Sample rate of the FluidSynth renders."""

RENDER_GAIN = 0.2
"""FluidSynth's master gain (its default): loud Freedoom tracks stay near full scale."""

RENDER_PEAK = 10.0 ** (-1.0 / 20.0)
"""Renders whose peak exceeds this (-1 dBFS) are scaled down to it before the FLAC write."""

MANIFEST_VERSION = 1
"""Bumped whenever the selection rules or the rendering change, to rebuild the listing."""

DEFAULT_MAX_PER_PACKAGE = 120
"""Default cap on excerpts per package, so no soundtrack dominates the training set."""

SILENT_RMS_DBFS = -45.0
"""An excerpt whose RMS level is below this is near-silent and is not used."""

QUIET_WINDOW_DBFS = -60.0
"""A 0.5 s window below this RMS level counts as a gap ..."""

MAX_QUIET_FRACTION = 0.5
"""... and an excerpt with more than this fraction of gaps is not used either."""

_SILENCE_RETRIES = 3
"""Alternative positions tried (in the same share of the track) after a near-silent one."""

_MUS_MAGIC = b"MUS\x1a"
_MIDI_MAGIC = b"MThd"


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Track:
    """One music file of the corpus and what its container says about it.

    ``codec`` is FFmpeg's codec name (``vorbis``, ``opus``, ``flac``...), kept for reports.
    """

    package: str
    path: Path
    duration_s: float
    sample_rate: int
    channels: int
    codec: str = ""


@dataclass(frozen=True, eq=False)
class Excerpt:
    """A mono float32 excerpt of a corpus track, at the track's native rate.

    With ``pieces`` > 1 the excerpt is a *reading*: that many equal-length pieces taken
    from positions spread over the track and joined end to end, as the detector reads a
    file (several short excerpts, not one long one). ``start_s`` is the first piece's start.
    """

    package: str
    path: Path
    start_s: float
    audio: np.ndarray = field(repr=False)
    sample_rate: int
    pieces: int = 1

    def split(self, audio: np.ndarray | None = None) -> list[np.ndarray]:
        """``audio`` (default: this excerpt's, or any version of it) cut back into its pieces."""
        return np.array_split(self.audio if audio is None else audio, self.pieces)


@dataclass(frozen=True)
class PackageStats:
    """What one package contributes: track count, hours, rates and codecs seen."""

    package: str
    tracks: int
    hours: float
    sample_rates: tuple[int, ...]
    codecs: tuple[str, ...]


# --------------------------------------------------------------------------- corpus


def ensure_corpus(
    cache_dir: str | os.PathLike[str] | None = None,
    packages: Iterable[str] | None = None,
    log: Log = print,
) -> list[Track]:
    """Download, extract (and for Freedoom render) what is missing; return the tracks.

    ``cache_dir`` defaults to the configured cache root. ``packages`` selects a subset of
    :data:`PACKAGES` (all by default). The listing of each package is stored in
    ``corpus/manifest.json`` and reused while its files are all still there, so a second
    call only checks that the files exist. Raises :class:`~soundproof.errors.TrainingError`
    when a package cannot be downloaded or extracted, or FluidSynth is missing.
    """
    cache = _cache_root(cache_dir)
    names = _select_packages(packages)
    corpus_dir = cache / "corpus"
    manifest_path = corpus_dir / "manifest.json"
    manifest = _read_manifest(manifest_path)
    tracks: list[Track] = []
    changed = False
    for name in names:
        cached = _tracks_from_manifest(manifest.get(name), corpus_dir, name)
        if cached is None:
            log(f"corpus: preparing {name}")
            if name in manifest:  # listed before but files vanished: extract afresh
                (corpus_dir / name / ".complete").unlink(missing_ok=True)
            entry = _build_package(cache, corpus_dir, name, log)
            manifest[name] = entry
            changed = True
            cached = _tracks_from_manifest(entry, corpus_dir, name) or []
        tracks.extend(cached)
    if changed:
        _write_manifest(manifest_path, manifest)
        log(format_stats(tracks))
    return tracks


def corpus_stats(tracks: Sequence[Track]) -> list[PackageStats]:
    """Per-package totals for ``tracks``, in :data:`PACKAGES` order."""
    grouped: dict[str, list[Track]] = defaultdict(list)
    for track in tracks:
        grouped[track.package].append(track)
    order = [p for p in PACKAGES if p in grouped] + sorted(set(grouped) - set(PACKAGES))
    return [
        PackageStats(
            package=name,
            tracks=len(grouped[name]),
            hours=sum(t.duration_s for t in grouped[name]) / 3600.0,
            sample_rates=tuple(sorted({t.sample_rate for t in grouped[name]})),
            codecs=tuple(sorted({t.codec for t in grouped[name]})),
        )
        for name in order
    ]


def format_stats(tracks: Sequence[Track]) -> str:
    """A plain-text table of :func:`corpus_stats`, with a total line."""
    rows = corpus_stats(tracks)
    lines = [f"{'package':<20} {'tracks':>6} {'hours':>6}  rates / codecs"]
    for row in rows:
        rates = ",".join(str(r) for r in row.sample_rates)
        lines.append(
            f"{row.package:<20} {row.tracks:>6} {row.hours:>6.2f}  {rates} / {','.join(row.codecs)}"
        )
    total_h = sum(r.hours for r in rows)
    lines.append(f"{'total':<20} {sum(r.tracks for r in rows):>6} {total_h:>6.2f}")
    return "\n".join(lines)


def _cache_root(cache_dir: str | os.PathLike[str] | None) -> Path:
    """The cache root: the argument, else the configured one."""
    if cache_dir is None:
        from soundproof.config import get_settings

        return get_settings().cache_dir
    return Path(cache_dir)


def _select_packages(packages: Iterable[str] | None) -> list[str]:
    """Validate a package subset, keeping :data:`PACKAGES` order."""
    if packages is None:
        return list(PACKAGES)
    wanted = list(dict.fromkeys(packages))
    unknown = [p for p in wanted if p not in PACKAGES]
    if unknown:
        raise UsageError(
            f"unknown corpus package(s) {', '.join(unknown)}; use some of {', '.join(PACKAGES)}"
        )
    return [p for p in PACKAGES if p in wanted]


def _read_manifest(path: Path) -> dict[str, dict[str, object]]:
    """The per-package manifest entries, or nothing if missing, stale or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return {}
    packages = data.get("packages")
    return dict(packages) if isinstance(packages, dict) else {}


def _write_manifest(path: Path, packages: dict[str, dict[str, object]]) -> None:
    """Write the manifest atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": MANIFEST_VERSION, "packages": packages}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _tracks_from_manifest(
    entry: dict[str, object] | None, corpus_dir: Path, package: str
) -> list[Track] | None:
    """Tracks of a manifest entry, or ``None`` when absent or a listed file has vanished."""
    if not isinstance(entry, dict):
        return None
    rows = entry.get("tracks")
    marker = corpus_dir / package / ".complete"
    if not isinstance(rows, list) or not marker.is_file():
        return None
    if entry.get("deb") != marker.read_text().strip():
        return None  # re-extracted from another .deb since the listing was made
    tracks = []
    for row in rows:
        path = corpus_dir / row["path"]
        if not path.is_file():
            return None
        tracks.append(
            Track(
                package=package,
                path=path,
                duration_s=float(row["duration_s"]),
                sample_rate=int(row["sample_rate"]),
                channels=int(row["channels"]),
                codec=str(row.get("codec", "")),
            )
        )
    return tracks


def _build_package(cache: Path, corpus_dir: Path, package: str, log: Log) -> dict[str, object]:
    """Make ``package``'s music available and list its tracks (a manifest entry)."""
    root = ensure_extracted(cache, package, log)
    if package == FREEDOOM:
        font_root = ensure_extracted(cache, SOUNDFONT_PACKAGE, log)
        candidates = render_freedoom(root, font_root / SOUNDFONT_PATH, log)
    else:
        candidates = find_audio_files(root, MUSIC_DIRS[package])
    tracks, dropped = select_tracks(candidates, package)
    log(
        f"corpus: {package}: {len(tracks)} tracks kept of {len(candidates)} files "
        f"({dropped['short']} shorter than {MIN_TRACK_S:.0f} s, {dropped['excluded']} "
        f"excluded, {dropped['unreadable']} unreadable)"
    )
    rows = []
    for track in tracks:
        row = asdict(track)
        row["path"] = track.path.relative_to(corpus_dir).as_posix()
        del row["package"]
        rows.append(row)
    deb = (root / ".complete").read_text().strip()
    return {"deb": deb, "tracks": rows, "dropped": dropped}


def find_audio_files(root: Path, patterns: Sequence[str]) -> list[Path]:
    """Audio files (by :data:`AUDIO_SUFFIXES`) under the directories matching ``patterns``."""
    found: set[Path] = set()
    for pattern in patterns:
        for directory in root.glob(pattern):
            if directory.is_dir():
                found.update(
                    p
                    for p in directory.rglob("*")
                    if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
                )
    return sorted(found)


def select_tracks(paths: Sequence[Path], package: str) -> tuple[list[Track], dict[str, int]]:
    """Probe ``paths`` and keep the music tracks (the rule in the module docstring).

    Returns the tracks and how many files were dropped, by reason.
    """
    excluded = EXCLUDED_NAMES.get(package, frozenset())
    tracks: list[Track] = []
    dropped = {"short": 0, "excluded": 0, "unreadable": 0}
    for path in paths:
        if path.name in excluded:
            dropped["excluded"] += 1
            continue
        try:
            info = probe(path)
        except (AudioError, UsageError):
            dropped["unreadable"] += 1
            continue
        if info.duration_s is None or info.duration_s < MIN_TRACK_S:
            dropped["short"] += 1
            continue
        tracks.append(
            Track(
                package, path, float(info.duration_s), info.sample_rate, info.channels, info.codec
            )
        )
    return tracks, dropped


# --------------------------------------------------------------------------- Debian packages


def ensure_deb(cache: Path, package: str, log: Log = print) -> Path:
    """The downloaded ``.deb`` of ``package`` in ``<cache>/debian``, fetched if missing."""
    debian = cache / "debian"
    found = _find_deb(debian, package)
    if found is not None:
        return found
    debian.mkdir(parents=True, exist_ok=True)
    log(f"corpus: apt-get download {package}")
    _run(["apt-get", "download", package], cwd=debian, what=f"downloading {package}")
    found = _find_deb(debian, package)
    if found is None:
        raise TrainingError(f"apt-get download {package} left no {package}_*.deb in {debian}")
    return found


def _find_deb(debian: Path, package: str) -> Path | None:
    """The newest (by modification time) ``<package>_*.deb`` in ``debian``, if any."""
    debs = [p for p in debian.glob(f"{package}_*.deb") if p.is_file()] if debian.is_dir() else []
    return max(debs, key=lambda p: (p.stat().st_mtime, p.name)) if debs else None


def ensure_extracted(cache: Path, package: str, log: Log = print) -> Path:
    """Extract ``package``'s kept directories into ``<cache>/corpus/<package>``; return it.

    The whole package is unpacked with ``dpkg-deb -x`` into a temporary directory, the
    directories of :data:`MUSIC_DIRS` are moved into place and the rest is deleted. A
    ``.complete`` marker naming the ``.deb`` makes later calls skip the work.
    """
    root = cache / "corpus" / package
    marker = root / ".complete"
    deb = ensure_deb(cache, package, log)
    if marker.is_file() and marker.read_text().strip() == deb.name:
        return root
    log(f"corpus: extracting {deb.name}")
    if root.exists():
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root.parent, prefix=f".{package}.") as tmp:
        unpacked = Path(tmp)
        _run(["dpkg-deb", "-x", str(deb), str(unpacked)], what=f"extracting {deb.name}")
        moved = 0
        for pattern in MUSIC_DIRS[package]:
            for directory in sorted(unpacked.glob(pattern)):
                if directory.is_dir():
                    target = root / directory.relative_to(unpacked)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(str(directory), str(target))
                    moved += 1
        if not moved:
            raise TrainingError(
                f"{deb.name} has none of the expected directories {', '.join(MUSIC_DIRS[package])}"
            )
    marker.write_text(deb.name + "\n")
    return root


def _run(cmd: list[str], *, what: str, cwd: Path | None = None) -> None:
    """Run a tool, turning a missing program or a failure into a :class:`TrainingError`."""
    try:
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise TrainingError(f"{what}: the program {cmd[0]!r} is not installed") from None
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()[-3:]
        raise TrainingError(
            f"{what}: {' '.join(cmd)} failed (exit {exc.returncode}): {' / '.join(detail)}"
        ) from None


# --------------------------------------------------------------------------- Freedoom


def read_wad_lumps(data: bytes) -> list[tuple[str, bytes]]:
    """The ``(name, data)`` of every lump of a Doom WAD, in directory order.

    A WAD starts with ``"IWAD"`` or ``"PWAD"``, the lump count and the directory offset
    (little-endian int32s); the directory holds 16-byte entries ``(offset, size, name[8])``
    with NUL-padded ASCII names. Raises :class:`~soundproof.errors.TrainingError` for data
    that is not a WAD or whose directory points outside the file.
    """
    if len(data) < 12 or data[:4] not in (b"IWAD", b"PWAD"):
        raise TrainingError("not a WAD file (no IWAD/PWAD header)")
    count, table = struct.unpack_from("<ii", data, 4)
    if count < 0 or table < 12 or table + 16 * count > len(data):
        raise TrainingError("damaged WAD: its directory lies outside the file")
    lumps = []
    for i in range(count):
        offset, size, raw = struct.unpack_from("<ii8s", data, table + 16 * i)
        if size < 0 or offset < 0 or offset + size > len(data):
            raise TrainingError(f"damaged WAD: lump {i} lies outside the file")
        name = raw.split(b"\0", 1)[0].decode("ascii", errors="replace").upper()
        lumps.append((name, data[offset : offset + size]))
    return lumps


def music_lumps(data: bytes) -> list[tuple[str, bytes]]:
    """The music lumps of a WAD (``D_*`` names holding MUS or MIDI data)."""
    return [
        (name, lump)
        for name, lump in read_wad_lumps(data)
        if name.startswith("D_") and lump[:4] in (_MUS_MAGIC, _MIDI_MAGIC)
    ]


_MUS_CONTROLLERS = {1: 0, 2: 1, 3: 7, 4: 10, 5: 11, 6: 91, 7: 93, 8: 64, 9: 67}
"""MUS controller number -> MIDI control change (controller 0 is a program change)."""

_MUS_SYSTEM_EVENTS = {10: 120, 11: 123, 12: 126, 13: 127, 14: 121}
"""MUS system event -> MIDI channel-mode control change (all sounds off, ... reset)."""

MUS_TICKS_PER_SECOND = 140
"""MUS timing: delays count ticks of 1/140 s."""


def mus_to_midi(data: bytes) -> bytes:
    """Convert a Doom MUS lump to a format-0 Standard MIDI File.

    MUS (as described on the Doom wiki): a header ``"MUS\\x1a"``, score length and offset,
    channel counts and instrument list (uint16 LE), then events. An event byte holds a
    "last" flag (bit 7: a variable-length delay in 1/140 s ticks follows the event), the
    type (bits 4-6) and the channel (bits 0-3). Types: 0 release note, 1 play note (bit 7
    of the note byte: a volume byte follows; otherwise the channel's last volume is reused),
    2 pitch bend (0-255, 128 centre), 3 system event, 4 controller (0 is the instrument),
    5 end of measure, 6 end of score. MUS channel 15 is percussion (MIDI channel 10); the
    others map to MIDI channels 0-8 and 10-15 in order. Timing is kept exactly: division 70
    ticks per quarter note at 500 000 us per quarter is 140 ticks per second.
    """
    if len(data) < 16 or data[:4] != _MUS_MAGIC:
        raise TrainingError("not a MUS lump (no MUS header)")
    score_len, score_start = struct.unpack_from("<HH", data, 4)
    end = min(len(data), score_start + score_len) if score_len else len(data)
    if score_start >= len(data):
        raise TrainingError("damaged MUS lump: the score starts past its end")

    track = bytearray()
    track += b"\x00\xff\x51\x03" + (500_000).to_bytes(3, "big")  # tempo: 0.5 s per quarter
    velocity = [127] * 16
    delay = 0
    pos = score_start

    def take() -> int:
        nonlocal pos
        if pos >= end:
            raise TrainingError("damaged MUS lump: the score ends inside an event")
        value = data[pos]
        pos += 1
        return value

    def emit(status: int, *payload: int) -> None:
        nonlocal delay
        track.extend(_varlen(delay))
        track.append(status)
        track.extend(payload)
        delay = 0

    while pos < end:
        head = take()
        kind = (head >> 4) & 0x07
        channel = _mus_channel(head & 0x0F)
        if kind == 0:
            emit(0x80 | channel, take() & 0x7F, 0)
        elif kind == 1:
            note = take()
            if note & 0x80:
                velocity[channel] = min(take() & 0x7F, 127)
            emit(0x90 | channel, note & 0x7F, velocity[channel])
        elif kind == 2:
            bend = take() << 6  # 0-255 -> 0-16320, 128 -> 8192 (centre)
            emit(0xE0 | channel, bend & 0x7F, (bend >> 7) & 0x7F)
        elif kind == 3:
            number = take()
            if number in _MUS_SYSTEM_EVENTS:
                emit(0xB0 | channel, _MUS_SYSTEM_EVENTS[number], 0)
        elif kind == 4:
            number, value = take(), min(take(), 127)
            if number == 0:
                emit(0xC0 | channel, value)
            elif number in _MUS_CONTROLLERS:
                emit(0xB0 | channel, _MUS_CONTROLLERS[number], value)
        elif kind == 6:
            break
        elif kind == 7:
            raise TrainingError(f"damaged MUS lump: unknown event type 7 at byte {pos - 1}")
        # kind 5 (end of measure) carries no data
        if head & 0x80:
            delay += _read_mus_delay(take)
    track.extend(_varlen(delay) + b"\xff\x2f\x00")  # end of track
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, MUS_TICKS_PER_SECOND // 2)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


def _mus_channel(mus_channel: int) -> int:
    """MUS channel -> MIDI channel: 15 is percussion (9); 9-14 skip over it."""
    if mus_channel == 15:
        return 9
    return mus_channel if mus_channel < 9 else mus_channel + 1


def _read_mus_delay(take: Callable[[], int]) -> int:
    """Read a MUS delay: 7 bits per byte, most significant first, bit 7 = more follows."""
    value = 0
    while True:
        byte = take()
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value


def _varlen(value: int) -> bytes:
    """A MIDI variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def extract_freedoom_midis(wad_dir: Path, midi_dir: Path) -> list[Path]:
    """Write each distinct music lump of the Freedoom WADs as ``<wad>_<lump>.mid``.

    MUS lumps are converted with :func:`mus_to_midi`; a lump identical to one already
    written (Freedoom reuses a few songs) is skipped, so no song is rendered twice.
    """
    midi_dir.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    written = []
    for wad_name in FREEDOOM_WADS:
        wad = wad_dir / wad_name
        if not wad.is_file():
            raise TrainingError(f"{wad} is missing from the extracted freedoom package")
        for lump_name, lump in music_lumps(wad.read_bytes()):
            digest = hashlib.sha1(lump).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            midi = mus_to_midi(lump) if lump[:4] == _MUS_MAGIC else lump
            path = midi_dir / f"{Path(wad_name).stem}_{lump_name.lower()}.mid"
            if not path.is_file() or path.read_bytes() != midi:
                path.write_bytes(midi)
            written.append(path)
    return written


def render_midi(midi: Path, soundfont: Path, out_flac: Path) -> Path:
    """Render ``midi`` to a stereo 44.1 kHz FLAC with the ``fluidsynth`` program.

    FluidSynth writes 32-bit float WAV (so nothing clips inside it); a render whose peak
    passes -1 dBFS is scaled down before the 16-bit FLAC is written.
    """
    with tempfile.TemporaryDirectory(dir=out_flac.parent, prefix=".render.") as tmp:
        wav = Path(tmp) / "render.wav"
        cmd = [
            "fluidsynth", "-n", "-i", "-q",
            "-r", str(RENDER_RATE), "-g", str(RENDER_GAIN),
            "-F", str(wav), "-T", "wav", "-O", "float",
            str(soundfont), str(midi),
        ]  # fmt: skip
        _run(cmd, what=f"rendering {midi.name}")
        audio, rate = load(wav, mono=False)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > RENDER_PEAK:
            audio = audio * np.float32(RENDER_PEAK / peak)
        partial = Path(tmp) / out_flac.name
        write(partial, audio, rate, "flac")
        os.replace(partial, out_flac)
    return out_flac


def render_freedoom(root: Path, soundfont: Path, log: Log = print) -> list[Path]:
    """Extract Freedoom's music lumps under ``root`` and render the missing ones to FLAC."""
    if shutil.which("fluidsynth") is None:
        raise TrainingError(
            "rendering Freedoom's music needs the fluidsynth program "
            "(apt-get install fluidsynth), or leave 'freedoom' out of the packages"
        )
    if not soundfont.is_file():
        raise TrainingError(f"the SoundFont {soundfont} is missing")
    midis = extract_freedoom_midis(root / MUSIC_DIRS[FREEDOOM][0], root / "midi")
    out_dir = root / "rendered"
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(m, out_dir / f"{m.stem}.flac") for m in midis]
    todo = [(m, f) for m, f in jobs if not f.is_file()]
    if todo:
        log(f"corpus: rendering {len(todo)} Freedoom songs with FluidSynth")
        with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
            list(pool.map(lambda job: render_midi(job[0], soundfont, job[1]), todo))
    return [f for _, f in jobs]


# --------------------------------------------------------------------------- excerpts


def cut_excerpts(
    tracks: Sequence[Track],
    *,
    excerpt_s: float = 12.0,
    per_track: int = 2,
    max_per_package: int | None = DEFAULT_MAX_PER_PACKAGE,
    seed: int = 0,
    log: Log | None = None,
    pieces: int = 1,
) -> list[Excerpt]:
    """Cut mono excerpts from ``tracks``, deterministically and balanced across packages.

    Each track's usable middle (the first and last 5% left out) is split into ``per_track``
    equal shares and one start is drawn uniformly in each share, from a generator seeded by
    ``seed`` and the track's name, so a track's positions do not depend on the rest of the
    corpus. Near-silent excerpts (RMS below :data:`SILENT_RMS_DBFS`, or mostly gaps) are
    replaced by another draw in the same share, up to three times, then dropped. Tracks
    shorter than ``excerpt_s`` give nothing, and a track too short for ``per_track``
    non-overlapping excerpts gives fewer.

    With ``pieces`` > 1 every excerpt is a reading of that many pieces of ``excerpt_s``
    (see :class:`Excerpt`): the middle is split into ``per_track * pieces`` shares and
    reading r takes shares r, r + n, r + 2n... (n readings), so each reading spans the
    whole track, as the detector's excerpts do. A track needs room for all pieces of a
    reading, or gives none.

    Balance: within a package the tracks are visited in a seeded order, one excerpt per
    track per round, until ``max_per_package`` excerpts are taken (``None``: no cap), so a
    cap spreads the excerpts over as many tracks as possible. Output is grouped by package
    in :data:`PACKAGES` order.
    """
    if not excerpt_s > 0 or per_track < 1 or pieces < 1:
        raise UsageError(
            f"need excerpt_s > 0, per_track >= 1 and pieces >= 1, "
            f"got {excerpt_s}, {per_track}, {pieces}"
        )
    if max_per_package is not None and max_per_package < 1:
        raise UsageError(f"max_per_package must be at least 1, got {max_per_package}")
    grouped: dict[str, list[Track]] = defaultdict(list)
    for track in tracks:
        grouped[track.package].append(track)
    order = [p for p in PACKAGES if p in grouped] + sorted(set(grouped) - set(PACKAGES))
    excerpts: list[Excerpt] = []
    for package in order:
        chosen = _package_excerpts(
            grouped[package], package, excerpt_s, per_track, max_per_package, seed, pieces
        )
        if log is not None:
            used = len({e.path for e in chosen})
            log(f"excerpts: {package}: {len(chosen)} from {used} tracks")
        excerpts.extend(chosen)
    return excerpts


def _package_excerpts(
    tracks: list[Track],
    package: str,
    excerpt_s: float,
    per_track: int,
    cap: int | None,
    seed: int,
    pieces: int = 1,
) -> list[Excerpt]:
    """The excerpts of one package, round-robin over its tracks in a seeded order."""
    tracks = sorted(tracks, key=lambda t: _track_key(t))
    rng = np.random.default_rng([seed, zlib.crc32(package.encode())])
    tracks = [tracks[i] for i in rng.permutation(len(tracks))]
    plans = [_track_plan(t, excerpt_s, per_track, seed, pieces) for t in tracks]
    chosen: list[Excerpt] = []
    for round_ in range(per_track):
        for track, (shares, track_rng) in zip(tracks, plans, strict=True):
            if cap is not None and len(chosen) >= cap:
                return chosen
            readings = len(shares) // pieces
            if round_ < readings:
                excerpt = _cut_reading(track, shares[round_::readings], excerpt_s, track_rng)
                if excerpt is not None:
                    chosen.append(excerpt)
    return chosen


def _track_key(track: Track) -> str:
    """A name for ``track`` that does not depend on where the cache lives."""
    return f"{track.package}/{'/'.join(track.path.parts[-3:])}"


def _track_plan(
    track: Track, excerpt_s: float, per_track: int, seed: int, pieces: int = 1
) -> tuple[list[tuple[float, float]], np.random.Generator]:
    """The shares ``(lowest start, highest start)`` of ``track`` and its own generator.

    There are ``pieces`` shares per reading that fits, at most ``per_track`` readings.
    """
    rng = np.random.default_rng([seed, zlib.crc32(_track_key(track).encode())])
    duration = track.duration_s
    if duration < excerpt_s * pieces:
        return [], rng
    edge = min(0.05 * duration, (duration - excerpt_s * pieces) / 2)
    usable = duration - 2 * edge
    count = min(per_track, int(usable // (excerpt_s * pieces))) * pieces
    share = usable / count
    return [(edge + i * share, edge + (i + 1) * share - excerpt_s) for i in range(count)], rng


def _cut_reading(
    track: Track,
    shares: list[tuple[float, float]],
    excerpt_s: float,
    rng: np.random.Generator,
) -> Excerpt | None:
    """One audible piece from each share, joined into one excerpt; ``None`` if any fails."""
    cut: list[tuple[float, np.ndarray]] = []
    for share in shares:
        piece = _cut_in_share(track, share, excerpt_s, rng)
        if piece is None:
            return None
        cut.append(piece)
    audio = np.concatenate([samples for _, samples in cut])
    return Excerpt(track.package, track.path, cut[0][0], audio, track.sample_rate, len(cut))


def _cut_in_share(
    track: Track, share: tuple[float, float], excerpt_s: float, rng: np.random.Generator
) -> tuple[float, np.ndarray] | None:
    """Start and samples of one audible piece starting somewhere in ``share``, or ``None``."""
    low, high = share
    for _ in range(1 + _SILENCE_RETRIES):
        start = float(rng.uniform(low, max(low, high)))
        audio = _read_excerpt(track, start, excerpt_s)
        if audio is None:
            return None
        if not is_near_silent(audio, track.sample_rate):
            return round(start, 3), audio
    return None


def _read_excerpt(track: Track, start_s: float, excerpt_s: float) -> np.ndarray | None:
    """Decode ``excerpt_s`` seconds of ``track`` from ``start_s`` as mono float32."""
    want = round(excerpt_s * track.sample_rate)
    try:
        blocks = list(iter_blocks(track.path, mono=True, start_s=start_s, max_seconds=excerpt_s))
    except AudioError:
        return None
    audio = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    if audio.shape[0] < want * 0.98:  # the container's duration was optimistic
        return None
    return np.ascontiguousarray(np.pad(audio[:want], (0, max(0, want - audio.shape[0]))))


def is_near_silent(audio: np.ndarray, sample_rate: int) -> bool:
    """True when ``audio`` is too quiet to train on (see :data:`SILENT_RMS_DBFS`)."""
    x = np.asarray(audio, dtype=np.float64)
    if x.size == 0:
        return True
    if _dbfs(float(np.mean(x**2))) < SILENT_RMS_DBFS:
        return True
    window = max(1, sample_rate // 2)
    n = x.size // window
    if n == 0:
        return False
    levels = _dbfs(np.mean(x[: n * window].reshape(n, window) ** 2, axis=1))
    return float(np.mean(levels < QUIET_WINDOW_DBFS)) > MAX_QUIET_FRACTION


def _dbfs(mean_square: np.ndarray | float) -> np.ndarray:
    """Mean square -> RMS level in dB full scale (silence -> -inf, without warnings)."""
    return 10.0 * np.log10(np.maximum(np.asarray(mean_square, dtype=np.float64), 1e-20))
