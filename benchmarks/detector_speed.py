"""Detector speed and memory on one core: end to end against decode-only, same files.

Targets (issue 2): >= 500x real time per core end to end (a 3-minute track in
<= 0.36 s, process start-up aside) and <= 500 MB per worker whatever the length.

    python benchmarks/detector_speed.py

Generates 3-minute tracks (MP3 192k, Ogg Vorbis, AAC/M4A, FLAC) with the demo
synthesiser, then times, per file and in this one process:
  * full decode: every sample decoded by PyAV (the floor of a whole-track analysis);
  * excerpt decode: what the detector reads (``read_excerpts``);
  * end to end: ``Detector.analyze_path`` (excerpt decode + features + classifier).
Memory: peak RSS of a fresh process analysing a 3-hour WAV, and a 3-hour FLAC.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section
from soundproof.audio import iter_blocks, read_excerpts, write
from soundproof.demo.synth import PROGRESSIONS, Song, render
from soundproof.detect import Detector

TRACK_S = 180.0
REPEATS = 5
FORMATS = (("mp3", 192_000), ("ogg", None), ("m4a", 160_000), ("flac", None))


def _song(seconds: float, seed: int) -> np.ndarray:
    """Synthesised stereo music as (samples, 2) float32."""
    audio = np.asarray(render(Song(118, 62, "minor", seconds, PROGRESSIONS[1], seed=seed)))
    return (audio.T if audio.shape[0] == 2 else audio).astype(np.float32)


def _median_time(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _full_decode(path: Path) -> None:
    for _ in iter_blocks(path):
        pass


def _peak_rss_mb(path: Path) -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would
    # report the benchmark's own peak from before it was spawned.
    code = (
        "import re, sys\n"
        "from pathlib import Path\n"
        "from soundproof.detect import Detector\n"
        "r = Detector.load().analyze_path(sys.argv[1])\n"
        "assert r.verdict != 'error', r.error\n"
        "status = Path('/proc/self/status').read_text()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return float(out.stdout.strip())


def _long_file(directory: Path, fmt: str, hours: float) -> Path:
    """A long file written in one-minute chunks of the synthesised music, looped."""
    import av

    minute = _song(60.0, seed=7)
    path = directory / f"long-{hours:g}h.{fmt}"
    codec = {"wav": "pcm_s16le", "flac": "flac"}[fmt]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=44100, layout="stereo")
        stream.format = "s16"  # type: ignore[union-attr]
        pcm = (np.clip(minute, -1, 1) * 32767).astype(np.int16)
        for _ in range(int(hours * 60)):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(pcm.T).reshape(1, -1), format="s16", layout="stereo"
            )
            frame.sample_rate = 44100
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def main() -> None:
    detector = Detector.load()
    rows, figures = [], {"track_s": TRACK_S, "files": {}}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        audio = _song(TRACK_S, seed=3)
        for fmt, bitrate in FORMATS:
            path = write(directory / f"track.{fmt}", audio, 44100, bitrate=bitrate)
            detector.analyze_path(path)  # warm caches
            full = _median_time(lambda p=path: _full_decode(p))
            excerpts = _median_time(
                lambda p=path: read_excerpts(
                    p,
                    excerpt_s=detector.model.analysis.excerpt_s,
                    count=detector.model.analysis.excerpts,
                )
            )
            end_to_end = _median_time(lambda p=path: detector.analyze_path(p))
            figures["files"][fmt] = {
                "full_decode_s": full,
                "excerpt_decode_s": excerpts,
                "end_to_end_s": end_to_end,
                "realtime_factor": TRACK_S / end_to_end,
            }
            rows.append(
                f"| {fmt} | {full * 1000:.0f} ms ({TRACK_S / full:.0f}x) | "
                f"{excerpts * 1000:.0f} ms | {end_to_end * 1000:.0f} ms "
                f"(**{TRACK_S / end_to_end:.0f}x**) | {end_to_end / full:.2f} |"
            )
        memory = {}
        for fmt in ("wav", "flac"):
            memory[fmt] = _peak_rss_mb(_long_file(directory, fmt, 3.0))
        figures["peak_rss_mb_3h"] = memory
    table = "\n".join(rows)
    markdown = f"""
### Detector: one core, 3-minute tracks

`python benchmarks/detector_speed.py`; median of {REPEATS} runs per file, one process.
Target: >= 500x real time end to end (<= 0.36 s for 3 minutes).

| format | full decode (PyAV) | excerpt decode | end to end | end to end / full decode |
|---|---|---|---|---|
{table}

The detector reads {detector.model.analysis.excerpts} excerpts of
{detector.model.analysis.excerpt_s:g} s, so it costs less than decoding the whole track.

### Detector: memory on 3-hour files

Peak resident memory (VmHWM) of a fresh process running `Detector.analyze_path`
(interpreter, numpy, scipy and PyAV included). Target: <= 500 MB per worker.

| file | peak resident memory |
|---|---|
| 3 h WAV (stereo, 16-bit, 44.1 kHz) | {memory["wav"]:.0f} MB |
| 3 h FLAC (stereo, 44.1 kHz) | {memory["flac"]:.0f} MB |
"""
    print(markdown)
    write_section("Detector speed and memory", markdown, figures)


if __name__ == "__main__":
    main()
