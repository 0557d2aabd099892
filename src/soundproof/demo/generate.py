"""Write the README's demo set: synthetic "human" clips, their decoder versions, one broken file.

``soundproof demo`` runs :func:`make_demo_set` and scans the result, so a new user sees
every kind of row (human, ai, error) in a few seconds, offline, with the core install
only (numpy, scipy, PyAV; no torch). The layout::

    demo-data/
      README.txt          what each file is
      human/NN-name.ext   music synthesised by :mod:`soundproof.demo.synth`
      ai/NN-name.ext      the same clip through a numpy neural decoder (:mod:`.decoder`)
      broken.mp3          junk bytes with an .mp3 name: shows an error row

Formats vary on purpose (FLAC, MP3 at 192 kbit/s, Opus) so the demo also shows that
a lossy encode does not hide the decoder's comb.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from soundproof.demo.decoder import DECODERS, DecoderConfig, decoder_version
from soundproof.demo.synth import PROGRESSIONS, SAMPLE_RATE, Song, render

MP3_BITRATE = 192_000


@dataclass(frozen=True)
class Clip:
    """One demo piece: its song, the formats of its two versions, the decoder of the AI one."""

    name: str
    tempo_bpm: float
    root_midi: int
    scale: str
    duration_s: float
    human_format: str
    ai_format: str
    decoder: DecoderConfig
    lead_rolloff: float = 1.0
    lead_odd_only: bool = False
    swing: float = 0.0


CLIPS: tuple[Clip, ...] = (
    Clip("sunrise-pop", 112, 60, "major", 22, "flac", "flac", DECODERS[0]),
    Clip("night-drive", 96, 57, "minor", 24, "flac", "mp3", DECODERS[1], lead_rolloff=1.4),
    Clip("swing-cafe", 128, 65, "mixolydian", 20, "mp3", "flac", DECODERS[2], swing=0.15),
    Clip("rain-ballad", 72, 62, "dorian", 26, "flac", "opus", DECODERS[0], lead_odd_only=True),
    Clip("arcade-run", 140, 64, "major", 20, "flac", "flac", DECODERS[1], lead_rolloff=0.8),
    Clip(
        "slow-groove", 84, 55, "dorian", 24, "mp3", "mp3", DECODERS[2], lead_rolloff=1.6, swing=0.1
    ),
)
"""The six clips: different tempos, keys, scales, timbres, formats and decoders."""

BROKEN_NAME = "broken.mp3"


def make_demo_set(
    out_dir: Path,
    seed: int = 0,
    *,
    duration_s: float | None = None,
    n_clips: int | None = None,
) -> list[Path]:
    """Synthesise the demo set under ``out_dir`` and return the audio files written.

    ``seed`` changes every melody, drum hit and decoder weight. ``duration_s`` (every
    clip's length) and ``n_clips`` (the first N clips) shrink the set, for tests. The
    list holds the human files, then the AI files, then ``broken.mp3``, in the order a
    scan of ``out_dir`` would list them within each folder.
    """
    from soundproof.audio import write

    out_dir = Path(out_dir)
    human_dir, ai_dir = out_dir / "human", out_dir / "ai"
    human_dir.mkdir(parents=True, exist_ok=True)
    ai_dir.mkdir(parents=True, exist_ok=True)
    clips = CLIPS[: n_clips if n_clips is not None else len(CLIPS)]
    human_files: list[Path] = []
    ai_files: list[Path] = []
    for i, clip in enumerate(clips):
        song = Song(
            tempo_bpm=clip.tempo_bpm,
            root_midi=clip.root_midi,
            scale=clip.scale,
            duration_s=duration_s if duration_s is not None else clip.duration_s,
            progression=PROGRESSIONS[(i + seed) % len(PROGRESSIONS)],
            lead_rolloff=clip.lead_rolloff,
            lead_odd_only=clip.lead_odd_only,
            swing=clip.swing,
            seed=seed * 1000 + i,
        )
        stereo = render(song)
        fake = decoder_version(stereo, clip.decoder, seed=seed * 1000 + i)
        stem = f"{i + 1:02d}-{clip.name}"
        for folder, audio, fmt, files in (
            (human_dir, stereo, clip.human_format, human_files),
            (ai_dir, fake, clip.ai_format, ai_files),
        ):
            path = folder / f"{stem}.{fmt}"
            bitrate = MP3_BITRATE if fmt == "mp3" else None
            write(path, audio.T.astype(np.float32), SAMPLE_RATE, fmt=fmt, bitrate=bitrate)
            files.append(path)
    broken = out_dir / BROKEN_NAME
    broken.write_bytes(_junk_bytes(seed))
    (out_dir / "README.txt").write_text(_readme(clips, human_files, ai_files), encoding="utf-8")
    return [*human_files, *ai_files, broken]


def _junk_bytes(seed: int) -> bytes:
    """An empty ID3 tag followed by printable junk: looks like an MP3, holds no audio.

    The junk is 7-bit ASCII, so it can never contain an MPEG frame sync (0xFFE), and no
    decoder will find audio in it by accident.
    """
    rng = np.random.default_rng(seed)
    junk = rng.integers(0x20, 0x7F, size=4096, dtype=np.uint8).tobytes()
    id3_header = b"ID3\x04\x00\x00\x00\x00\x00\x00"
    return id3_header + b"This is not audio. " + junk


def _readme(clips: tuple[Clip, ...], human: list[Path], ai: list[Path]) -> str:
    """The README.txt that explains each file of the set."""
    lines = [
        "Soundproof demo set",
        "===================",
        "",
        "Generated offline by `soundproof demo` (soundproof.demo.make_demo_set); nothing",
        "here was downloaded, and every file can be regenerated from its seed.",
        "",
        "human/  music synthesised with numpy: chord pad, bass, melody (additive synthesis",
        "        with harmonic partials and envelopes), a drum kit with noise hi-hats and",
        "        cymbals (energy up to 16-20 kHz) and a convolution reverb.",
        "ai/     the same clips passed through a small neural decoder written in numpy:",
        "        a strided analysis step makes a latent at sr/S frames per second, then",
        "        transposed 1-D convolutions with fixed random weights, bias and ELU bring",
        "        it back to 44.1 kHz. Its output is mixed under the music. Like the",
        "        decoders of real AI-music generators, the upsampler leaves spectral lines",
        "        at multiples of sr/S: the comb that Soundproof detects.",
        "broken.mp3  junk bytes with an .mp3 name: a scan reports it as an error row",
        "        and goes on.",
        "",
        "Files:",
    ]
    for clip, h, a in zip(clips, human, ai, strict=True):
        cfg = clip.decoder
        spacing = SAMPLE_RATE / cfg.hop
        lines.append(
            f"  {h.parent.name}/{h.name:<22} {clip.tempo_bpm:g} bpm, {clip.scale}, "
            f"{_format_label(clip.human_format)}"
        )
        lines.append(
            f"  {a.parent.name}/{a.name:<25} decoder {cfg.name} strides "
            f"{'x'.join(map(str, cfg.strides))} = {cfg.hop} "
            f"(lines every {spacing:.1f} Hz), {_format_label(clip.ai_format)}"
        )
    lines.append(f"  {BROKEN_NAME:<28} not audio")
    return "\n".join(lines) + "\n"


def _format_label(fmt: str) -> str:
    return {"flac": "FLAC (lossless)", "mp3": "MP3 192 kbit/s", "opus": "Opus 128 kbit/s"}.get(
        fmt, fmt
    )
