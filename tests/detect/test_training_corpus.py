"""The real-music corpus: WAD and MUS parsing, track selection, the manifest, excerpt cutting.

Everything runs on synthetic data: tiny hand-built WAD/MUS lumps and short FLAC files in a
temporary cache, with the ``apt-get`` / ``dpkg-deb`` calls replaced by a fake.
"""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import numpy as np
import pytest

from soundproof.audio import write
from soundproof.detect.training import corpus
from soundproof.detect.training.corpus import (
    Track,
    cut_excerpts,
    ensure_corpus,
    extract_freedoom_midis,
    is_near_silent,
    mus_to_midi,
    music_lumps,
    read_wad_lumps,
)
from soundproof.errors import TrainingError, UsageError

RATE = 8000

# --------------------------------------------------------------------------- helpers


def make_wad(lumps: list[tuple[str, bytes]], kind: bytes = b"IWAD") -> bytes:
    """A WAD with ``lumps`` stored back to back after the header, directory at the end."""
    body = b""
    entries = []
    for name, data in lumps:
        entries.append((12 + len(body), len(data), name.encode().ljust(8, b"\0")))
        body += data
    table = b"".join(struct.pack("<ii8s", *e) for e in entries)
    return kind + struct.pack("<ii", len(lumps), 12 + len(body)) + body + table


def make_mus(events: bytes, instruments: tuple[int, ...] = (0,)) -> bytes:
    """A MUS lump around the raw ``events`` bytes."""
    start = 16 + 2 * len(instruments)
    header = b"MUS\x1a" + struct.pack("<HHHHHH", len(events), start, 1, 0, len(instruments), 0)
    return header + struct.pack(f"<{len(instruments)}H", *instruments) + events


def parse_midi(data: bytes) -> tuple[tuple[int, int, int], list[tuple[int, bytes]]]:
    """(format, tracks, division) and the (absolute tick, event bytes) of track 1."""
    assert data[:4] == b"MThd"
    length, fmt, ntracks, division = struct.unpack(">IHHH", data[4:14])
    assert length == 6
    assert data[14:18] == b"MTrk"
    (track_len,) = struct.unpack(">I", data[18:22])
    track = data[22 : 22 + track_len]
    assert len(track) == track_len
    events: list[tuple[int, bytes]] = []
    pos, tick = 0, 0
    sizes = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}
    while pos < len(track):
        delta = 0
        while True:
            byte = track[pos]
            pos += 1
            delta = (delta << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        tick += delta
        status = track[pos]
        if status == 0xFF:
            size = track[pos + 2]
            events.append((tick, track[pos : pos + 3 + size]))
            pos += 3 + size
        else:
            size = sizes[status & 0xF0]
            events.append((tick, track[pos : pos + 1 + size]))
            pos += 1 + size
    return (fmt, ntracks, division), events


def tone(seconds: float, freq: float = 440.0, level: float = 0.3, seed: int = 0) -> np.ndarray:
    """A tone with a little noise (so codecs and silence checks see real content)."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    x = level * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)
    return x.astype(np.float32)


def flac(path: Path, audio: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write(path, audio, RATE, "flac")


# --------------------------------------------------------------------------- WAD / MUS


def test_wad_directory_is_parsed_and_music_lumps_found() -> None:
    mus = make_mus(b"\x60")
    midi = b"MThd" + b"\0" * 20
    wad = make_wad(
        [
            ("MAP01", b""),
            ("THINGS", b"\1\2\3"),
            ("D_E1M1", mus),
            ("D_RUNNIN", midi),
            ("D_JUNK", b"not music"),
            ("DEMO1", b"MUS\x1a but not a D_ lump"),
        ]
    )
    lumps = read_wad_lumps(wad)
    assert [name for name, _ in lumps] == [
        "MAP01",
        "THINGS",
        "D_E1M1",
        "D_RUNNIN",
        "D_JUNK",
        "DEMO1",
    ]
    assert lumps[1][1] == b"\1\2\3"
    assert music_lumps(wad) == [("D_E1M1", mus), ("D_RUNNIN", midi)]


def test_bad_wads_raise_training_errors() -> None:
    with pytest.raises(TrainingError, match="not a WAD"):
        read_wad_lumps(b"JUNKJUNKJUNKJUNK")
    broken = b"PWAD" + struct.pack("<ii", 5, 12)  # five entries promised, none there
    with pytest.raises(TrainingError, match="outside"):
        read_wad_lumps(broken)
    lump_outside = b"PWAD" + struct.pack("<ii", 1, 12) + struct.pack("<ii8s", 12, 999, b"D_X")
    with pytest.raises(TrainingError, match="outside"):
        read_wad_lumps(lump_outside)


def test_mus_events_become_the_right_midi_events() -> None:
    events = bytes(
        [
            0x40, 0x00, 30,          # ch0 controller 0: instrument 30
            0x90, 0x80 | 60, 100,    # ch0 play note 60 at volume 100, then a delay ...
            0x81, 0x0C,              # ... of 140 ticks (two-byte delay)
            0x00, 60,                # ch0 release note 60
            0x1F, 35,                # ch15 (percussion) note 35, no volume: default 127
            0x21, 255,               # ch1 pitch bend to the top
            0x42, 3, 200,            # ch2 volume 200, clamped to 127
            0x30, 11,                # ch0 system event: all notes off
            0x19, 62,                # ch9 note 62 (MIDI channel 10, skipping percussion)
            0x91, 64,                # ch1 note 64 reuses ch1's last volume (127)
            0x05,                    # delay 5 ticks
            0x60,                    # score end
            0x10, 1,                 # after the end: ignored
        ]
    )  # fmt: skip
    (fmt, ntracks, division), midi = parse_midi(mus_to_midi(make_mus(events)))
    assert (fmt, ntracks, division) == (0, 1, 70)
    assert midi[0] == (0, b"\xff\x51\x03\x07\xa1\x20")  # 500 000 us per quarter
    assert midi[1:] == [
        (0, bytes([0xC0, 30])),
        (0, bytes([0x90, 60, 100])),
        (140, bytes([0x80, 60, 0])),
        (140, bytes([0x99, 35, 127])),
        (140, bytes([0xE1, 0x40, 0x7F])),
        (140, bytes([0xB2, 7, 127])),
        (140, bytes([0xB0, 123, 0])),
        (140, bytes([0x9A, 62, 127])),
        (140, bytes([0x91, 64, 127])),
        (145, b"\xff\x2f\x00"),
    ]


def test_mus_errors() -> None:
    with pytest.raises(TrainingError, match="not a MUS"):
        mus_to_midi(b"MThd" + b"\0" * 20)
    with pytest.raises(TrainingError, match="ends inside"):
        mus_to_midi(make_mus(bytes([0x90, 0x80 | 60])))  # volume byte missing
    with pytest.raises(TrainingError, match="type 7"):
        mus_to_midi(make_mus(bytes([0x70, 0])))


def test_freedoom_lumps_are_written_once_as_midi(tmp_path: Path) -> None:
    mus = make_mus(bytes([0x10, 60, 0x60]))
    midi = mus_to_midi(make_mus(bytes([0x10, 64, 0x60])))
    (tmp_path / "freedoom1.wad").write_bytes(make_wad([("D_E1M1", mus), ("D_E1M2", midi)]))
    (tmp_path / "freedoom2.wad").write_bytes(make_wad([("D_RUNNIN", mus), ("MAP01", b"")]))
    written = extract_freedoom_midis(tmp_path, tmp_path / "midi")
    assert [p.name for p in written] == ["freedoom1_d_e1m1.mid", "freedoom1_d_e1m2.mid"]
    assert written[0].read_bytes() == mus_to_midi(mus)
    assert written[1].read_bytes() == midi
    (tmp_path / "freedoom2.wad").unlink()
    with pytest.raises(TrainingError, match="missing"):
        extract_freedoom_midis(tmp_path, tmp_path / "midi")


# --------------------------------------------------------------------------- ensure_corpus


class FakeDebian:
    """Stands in for ``apt-get download`` and ``dpkg-deb -x``: builds synthetic packages."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, cmd: list[str], *, what: str, cwd: Path | None = None) -> None:
        self.calls.append(cmd)
        if cmd[:2] == ["apt-get", "download"]:
            assert cwd is not None
            (cwd / f"{cmd[2]}_1.0-1_all.deb").write_bytes(b"fake deb")
        elif cmd[:2] == ["dpkg-deb", "-x"]:
            name = Path(cmd[2]).name.split("_")[0]
            self.unpack(name, Path(cmd[3]))
        else:  # pragma: no cover - the corpus runs nothing else here
            raise AssertionError(cmd)

    @staticmethod
    def unpack(name: str, root: Path) -> None:
        if name == "warzone2100-music":
            music = root / "usr/share/games/warzone2100/music"
            flac(music / "albums/a/track1.flac", tone(31.0))
            flac(music / "menu.flac", tone(40.0, 330.0))
            flac(music / "sting.flac", tone(3.0))  # too short: a jingle
            (music / "readme.txt").write_text("not audio")
            flac(root / "usr/share/games/warzone2100/sounds/boom.flac", tone(35.0))
        elif name == "flare-game":
            flac(root / "usr/share/games/flare/mods/core/music/theme.flac", tone(45.0))
            flac(root / "usr/share/games/flare/mods/core/music/wind_ambient.flac", tone(45.0))
            flac(root / "usr/share/games/flare/mods/core/soundfx/step.flac", tone(45.0))
        else:  # pragma: no cover
            raise AssertionError(name)


@pytest.fixture
def fake_debian(monkeypatch: pytest.MonkeyPatch) -> FakeDebian:
    fake = FakeDebian()
    monkeypatch.setattr(corpus, "_run", fake)
    monkeypatch.setitem(corpus.EXCLUDED_NAMES, "flare-game", frozenset({"wind_ambient.flac"}))
    return fake


def test_ensure_corpus_downloads_extracts_selects_and_caches(
    tmp_path: Path, fake_debian: FakeDebian
) -> None:
    messages: list[str] = []
    packages = ["flare-game", "warzone2100-music"]
    tracks = ensure_corpus(tmp_path, packages=packages, log=messages.append)
    by_name = {t.path.name: t for t in tracks}
    assert sorted(by_name) == ["menu.flac", "theme.flac", "track1.flac"]
    assert [t.package for t in tracks] == ["warzone2100-music"] * 2 + ["flare-game"]
    menu = by_name["menu.flac"]
    assert menu.duration_s == pytest.approx(40.0, abs=0.05)
    assert (menu.sample_rate, menu.channels, menu.codec) == (RATE, 1, "flac")
    assert menu.path.is_relative_to(tmp_path / "corpus" / "warzone2100-music")
    assert ["apt-get", "download", "flare-game"] in fake_debian.calls
    # only the music directories survive extraction
    assert not list((tmp_path / "corpus").rglob("boom.flac"))
    assert not list((tmp_path / "corpus").rglob("step.flac"))
    assert (tmp_path / "corpus" / "manifest.json").is_file()
    assert any("1 shorter than 30 s" in m for m in messages)
    assert any("warzone2100-music" in m and "0.02" in m for m in messages)  # stats table

    # second call: straight from the manifest, no tool runs
    fake_debian.calls.clear()
    again = ensure_corpus(tmp_path, packages=packages, log=messages.append)
    assert again == tracks
    assert fake_debian.calls == []

    # a vanished track rebuilds that package only
    menu.path.unlink()
    rebuilt = ensure_corpus(tmp_path, packages=packages, log=messages.append)
    assert sorted(t.path.name for t in rebuilt) == sorted(by_name)
    assert [c[:2] for c in fake_debian.calls] == [["dpkg-deb", "-x"]]


def test_ensure_corpus_rejects_unknown_packages(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown corpus package"):
        ensure_corpus(tmp_path, packages=["not-a-package"])


def test_corpus_package_table_is_consistent() -> None:
    assert set(corpus.MUSIC_DIRS) == set(corpus.PACKAGES) | {corpus.SOUNDFONT_PACKAGE}
    assert "freedoom" in corpus.PACKAGES


# --------------------------------------------------------------------------- excerpts


@pytest.fixture
def tracks(tmp_path: Path) -> list[Track]:
    def track(package: str, name: str, audio: np.ndarray) -> Track:
        path = flac(tmp_path / package / name, audio)
        return Track(package, path, audio.shape[0] / RATE, RATE, 1, "flac")

    gappy = tone(20.0, seed=3)
    gappy[: 16 * RATE] = 0.0  # mostly silence: most positions are near-silent
    return [
        track("supertux-data", "a.flac", tone(20.0, 440.0, seed=1)),
        track("supertux-data", "b.flac", tone(20.0, 550.0, seed=2)),
        track("supertux-data", "c.flac", tone(20.0, 660.0, seed=4)),
        track("supertux-data", "short.flac", tone(1.5)),
        track("flare-game", "silent.flac", np.zeros(20 * RATE, np.float32)),
        track("flare-game", "gappy.flac", gappy),
        track("flare-game", "d.flac", tone(5.0, 770.0, seed=5)),
    ]


def test_cut_excerpts_is_deterministic_and_well_formed(tracks: list[Track]) -> None:
    first = cut_excerpts(tracks, excerpt_s=2.0, per_track=2, max_per_package=None, seed=7)
    second = cut_excerpts(tracks, excerpt_s=2.0, per_track=2, max_per_package=None, seed=7)
    other = cut_excerpts(tracks, excerpt_s=2.0, per_track=2, max_per_package=None, seed=8)
    assert [(e.path, e.start_s) for e in first] == [(e.path, e.start_s) for e in second]
    assert [e.start_s for e in first] != [e.start_s for e in other]
    assert all(np.array_equal(a.audio, b.audio) for a, b in zip(first, second, strict=True))
    names = [e.path.name for e in first]
    assert "short.flac" not in names  # shorter than the excerpt
    assert "silent.flac" not in names  # near-silent everywhere
    assert names.count("d.flac") == 2  # 5 s: room for two 2 s excerpts in its middle 90%
    for e in first:
        assert e.audio.dtype == np.float32
        assert e.audio.shape == (2 * RATE,)
        assert e.sample_rate == RATE
        assert not is_near_silent(e.audio, RATE)
        duration = next(t.duration_s for t in tracks if t.path == e.path)
        assert 0.05 * duration - 1e-6 <= e.start_s <= 0.95 * duration - 2.0 + 1e-6
    # the two excerpts of a track do not overlap
    for path in {e.path for e in first}:
        starts = sorted(e.start_s for e in first if e.path == path)
        assert all(b - a >= 2.0 for a, b in itertools.pairwise(starts))
    # grouped by package in PACKAGES order
    assert [e.package for e in first] == sorted(
        (e.package for e in first), key=corpus.PACKAGES.index
    )


def test_cut_excerpts_caps_each_package_spreading_over_tracks(tracks: list[Track]) -> None:
    messages: list[str] = []
    capped = cut_excerpts(
        tracks, excerpt_s=2.0, per_track=2, max_per_package=3, seed=1, log=messages.append
    )
    supertux = [e for e in capped if e.package == "supertux-data"]
    assert len(supertux) == 3
    assert len({e.path for e in supertux}) == 3  # one per track before any second one
    assert len([e for e in capped if e.package == "flare-game"]) <= 3
    assert any(m.startswith("excerpts: supertux-data: 3 from 3 tracks") for m in messages)
    with pytest.raises(UsageError):
        cut_excerpts(tracks, per_track=0)


def test_cut_excerpts_in_pieces_reads_like_the_detector(tracks: list[Track]) -> None:
    readings = cut_excerpts(
        tracks, excerpt_s=1.0, per_track=2, max_per_package=None, seed=3, pieces=3
    )
    names = [e.path.name for e in readings]
    assert names.count("a.flac") == 2
    assert "d.flac" in names  # 5 s holds one reading of three 1 s pieces, not two
    assert names.count("d.flac") == 1
    by_path = {t.path: t for t in tracks}
    for e in readings:
        assert e.pieces == 3
        assert e.audio.shape == (3 * RATE,)
        pieces = e.split()
        assert [p.shape for p in pieces] == [(RATE,)] * 3
        assert all(not is_near_silent(p, RATE) for p in pieces)
        duration = by_path[e.path].duration_s
        assert 0.05 * duration - 1e-6 <= e.start_s <= duration / 3
    # a version of a different length (a speed change, say) splits the same way
    assert [p.size for p in readings[0].split(np.zeros(301))] == [101, 100, 100]
    with pytest.raises(UsageError):
        cut_excerpts(tracks, pieces=0)


def test_near_silence_detection() -> None:
    assert is_near_silent(np.zeros(RATE, np.float32), RATE)
    quiet = 0.004 * np.sin(2 * np.pi * 440 * np.arange(2 * RATE) / RATE)
    assert is_near_silent(quiet.astype(np.float32), RATE)  # about -51 dBFS
    assert not is_near_silent(tone(2.0), RATE)
    half_gap = tone(4.0)
    half_gap[: int(2.5 * RATE)] = 0.0
    assert is_near_silent(half_gap, RATE)
