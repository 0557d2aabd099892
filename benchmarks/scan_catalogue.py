"""Catalogue scanning: throughput against decode-only, scaling, resume, and memory.

Targets (issue 3), each measured in this one run on the same files:
  * throughput: a scan within 1.3x of decode-only time with the same number of workers
    (decode-only reads exactly the excerpts the detector reads: decoding is the floor),
    each timed twice in the order decode, scan, scan, decode so that drift cancels;
  * scaling: near-linear from 1 to 2 worker processes;
  * resume: a rescan of the unchanged catalogue in under 5% of the first scan's time;
  * memory: flat for a playlist of 100,000 entries (peak resident memory of the scan
    process and of its workers, against a playlist of 10,000).

    python benchmarks/scan_catalogue.py [--tracks 1000] [--seconds 60] [--entries 100000]

The catalogue (MP3 128k, distinct bytes per track, made from a few synthesised songs)
is kept in a folder under the system temp dir and reused by later runs.
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section
from soundproof.audio import read_excerpts, write
from soundproof.audio.decode import SEEK_FACTOR
from soundproof.demo.synth import PROGRESSIONS, Song, render
from soundproof.detect.model import AnalysisSettings, CombModel
from soundproof.detect.result import TrackResult
from soundproof.scan import scan
from soundproof.scan.runner import run_sources
from soundproof.scan.sources import iter_sources

BASE_SONGS = 8
COPIES_PER_MASTER = 20
RATE = 44100


def make_catalogue(folder: Path, tracks: int, seconds: float) -> list[Path]:
    """``tracks`` MP3 files of ``seconds``; reused when the folder already holds them.

    MP3 encoding is slow (about 2.5 s per stereo minute here), so a few masters are
    encoded and each is copied with its own ID3v1 tag: every file has distinct bytes,
    hence its own content hash, as re-tagged copies of one master do in a real library.
    """
    manifest = folder / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()) == [tracks, seconds]:
        return sorted(folder.glob("*.mp3"))
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.mp3"):
        old.unlink()
    masters = []
    rng = np.random.default_rng(0)
    for i in range(max(1, min(tracks, tracks // COPIES_PER_MASTER))):
        seed = i % BASE_SONGS
        song = Song(96 + 6 * seed, 60, "minor", seconds, PROGRESSIONS[seed % 2], seed=seed)
        audio = np.asarray(render(song))
        audio = (audio.T if audio.shape[0] == 2 else audio) * float(rng.uniform(0.5, 0.9))
        master = folder / f"master-{i:03d}.mp3.tmp"
        write(master, audio.astype(np.float32), RATE, "mp3", bitrate=128_000)
        masters.append(master.read_bytes())
        master.unlink()
    for i in range(tracks):
        tag = b"TAG" + f"Track {i}".encode().ljust(30, b"\0") + bytes(95)
        (folder / f"track-{i:05d}.mp3").write_bytes(masters[i % len(masters)] + tag)
    manifest.write_text(json.dumps([tracks, seconds]))
    return sorted(folder.glob("*.mp3"))


def _noop() -> None:
    """Decode-only workers load nothing."""


@functools.cache
def shipped_reading() -> AnalysisSettings:
    """How much of a track the shipped detector reads (its model file says)."""
    return CombModel.load().analysis


def decode_only(path: str) -> TrackResult:
    """Read exactly what the detector reads, and nothing more."""
    settings = shipped_reading()
    read_excerpts(path, excerpt_s=settings.excerpt_s, count=settings.excerpts)
    return TrackResult(path=path, verdict="human")


def timed_decode(folder: Path, workers: int) -> float:
    started = time.perf_counter()
    rows = list(
        run_sources(
            iter_sources([str(folder)]),
            workers=workers,
            initializer=_noop,
            initargs=(),
            task=decode_only,
        )
    )
    assert all(r.verdict != "error" for r in rows)
    return time.perf_counter() - started


def timed_scan(folder: Path, workers: int, **kwargs: object) -> tuple[float, int]:
    started = time.perf_counter()
    rows = list(scan([str(folder)], workers=workers, progress=False, **kwargs))  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    assert not any(r.verdict == "error" for r in rows), [r.error for r in rows if r.error][:3]
    return elapsed, sum(r.from_cache for r in rows)


MEMORY_PROBE = """
import os, sys, threading, time
from soundproof.scan import scan

def hwm_mb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0

def descendants(root):
    parent = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = open(f"/proc/{name}/stat").read()
                parent[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = set(), {root}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier} - found
        found |= frontier
    return found

peak_worker = 0.0
done = False
def sample():
    global peak_worker
    while not done:
        for pid in descendants(os.getpid()):
            peak_worker = max(peak_worker, hwm_mb(pid))
        time.sleep(0.5)

threading.Thread(target=sample, daemon=True).start()
n = 0
for row in scan([sys.argv[1]], workers=2, progress=False, database_url=sys.argv[2]):
    n += 1
done = True
print(n, round(hwm_mb(os.getpid()), 1), round(peak_worker, 1))
"""


def peak_memory(playlist: Path, database_url: str) -> tuple[int, float, float, float]:
    """Rows, parent peak RSS (MB), largest worker peak RSS (MB), seconds, in a fresh process."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(playlist), database_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(out[0]), float(out[1]), float(out[2]), time.perf_counter() - started


def write_playlist(path: Path, files: list[Path], entries: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("#EXTM3U\n")
        for i in range(entries):
            track = files[i % len(files)]
            out.write(f"#EXTINF:60,Artist {i % 97} - Title {i}\n{track}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()

    root = Path(tempfile.gettempdir()) / "soundproof-bench-catalogue"
    files = make_catalogue(root / "music", args.tracks, args.seconds)
    print(f"catalogue: {len(files)} tracks of {args.seconds:g} s in {root / 'music'}", flush=True)

    figures: dict[str, object] = {"tracks": len(files), "track_seconds": args.seconds}
    for workers in (1, 2):
        # Decode, scan, scan, decode: a machine that speeds up or slows down steadily
        # during the run (shared hosts do) weighs on both sides alike.
        decodes, scans = [timed_decode(root / "music", workers)], []
        scans += [timed_scan(root / "music", workers, cache=False)[0] for _ in range(2)]
        decodes.append(timed_decode(root / "music", workers))
        decode, full = sum(decodes) / 2, sum(scans) / 2
        figures[f"workers_{workers}"] = {
            "decode_only_s": decode,
            "scan_s": full,
            "ratio": full / decode,
            "passes": {"decode_only_s": decodes, "scan_s": scans},
        }
        print(
            f"{workers} worker(s): decode-only {decode:.1f} s "
            f"({' / '.join(f'{d:.1f}' for d in decodes)}), scan {full:.1f} s "
            f"({' / '.join(f'{x:.1f}' for x in scans)}): {full / decode:.2f}x",
            flush=True,
        )

    with tempfile.TemporaryDirectory() as home:
        url = f"sqlite:///{home}/soundproof.db"
        first, _ = timed_scan(root / "music", 2, database_url=url)
        again, remembered = timed_scan(root / "music", 2, database_url=url)
        figures["resume"] = {
            "first_s": first,
            "rescan_s": again,
            "ratio": again / first,
            "remembered": remembered,
        }
        print(
            f"resume: first {first:.1f} s, rescan {again:.2f} s ({again / first:.1%}), "
            f"{remembered} remembered",
            flush=True,
        )

        memory = {}
        for entries in sorted({args.entries // 10, args.entries}):
            playlist = Path(home) / f"playlist-{entries}.m3u"
            write_playlist(playlist, files, entries)
            rows, parent, worker, seconds = peak_memory(playlist, url)
            assert rows == entries
            memory[entries] = {"parent_mb": parent, "worker_mb": worker, "seconds": seconds}
            print(
                f"playlist of {entries}: parent {parent:.0f} MB, "
                f"workers {worker:.0f} MB, {seconds:.0f} s",
                flush=True,
            )
        figures["memory"] = memory

    w1, w2, resume = figures["workers_1"], figures["workers_2"], figures["resume"]
    assert isinstance(w1, dict) and isinstance(w2, dict) and isinstance(resume, dict)
    reading = shipped_reading()
    lines = [
        f"{len(files)} MP3 tracks (128 kb/s, {args.seconds:g} s each); the detector reads "
        f"{reading.excerpts} excerpts of {reading.excerpt_s:g} s of each (the whole track when "
        f"it is shorter than {SEEK_FACTOR * reading.excerpts * reading.excerpt_s:g} s). "
        "Decode-only reads exactly those excerpts with the same runner "
        "and number of workers. Each is timed twice, in the order decode, scan, scan, decode, "
        "and the table gives the means (the single passes are in the JSON).",
        "",
        "| workers | decode-only | scan (no cache) | scan / decode-only | target |",
        "|---|---|---|---|---|",
        *(
            f"| {n} | {w['decode_only_s']:.1f} s | {w['scan_s']:.1f} s | {w['ratio']:.2f}x "
            "| <= 1.3x |"
            for n, w in ((1, w1), (2, w2))
        ),
        "",
        f"Scaling from 1 to 2 workers: {w1['scan_s'] / w2['scan_s']:.2f}x for the scan, "
        f"{w1['decode_only_s'] / w2['decode_only_s']:.2f}x for decode-only (2 is linear).",
        "",
        f"Resume: first scan {resume['first_s']:.1f} s, rescan of the unchanged catalogue "
        f"{resume['rescan_s']:.2f} s = {resume['ratio']:.1%} of it (target < 5%); "
        f"{resume['remembered']} of {len(files)} rows remembered.",
        "",
        "| playlist entries | scan process peak RSS | largest worker peak RSS "
        "| time (all remembered) |",
        "|---|---|---|---|",
    ]
    for entries, m in figures["memory"].items():  # type: ignore[attr-defined]
        lines.append(
            f"| {entries:,} | {m['parent_mb']:.0f} MB | {m['worker_mb']:.0f} MB "
            f"| {m['seconds']:.0f} s |"
        )
    write_section("Catalogue scanning", "\n".join(lines), figures)
    print("written to docs/benchmarks.md")


if __name__ == "__main__":
    main()
