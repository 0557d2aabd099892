"""Synthesise short, plausible pieces of music with numpy and scipy alone.

The demo needs "human" music that exists nowhere on the network and costs nothing to
make: a chord pad, a bass line, a melody and a drum kit, with a touch of reverb. Each
voice is additive synthesis (harmonic partials with a per-instrument roll-off) played
through a wavetable, so a note costs one table look-up per sample instead of one sine
per partial; envelopes, vibrato and stereo panning make it sound less like a test tone.
Cymbals and hi-hats are high-passed noise, so the spectrum is full up to 16-20 kHz, the
band where neural-decoder artefacts are easiest to see.

Everything is seeded: the same :class:`Song` renders the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import signal

FloatArray = NDArray[np.float64]

SAMPLE_RATE = 44_100
TABLE_SIZE = 4096
"""Wavetable length: holds up to 2047 partials, more than any audible note needs."""

SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
}
"""Semitone offsets of the scale degrees."""

PROGRESSIONS: tuple[tuple[int, ...], ...] = (
    (0, 4, 5, 3),  # I V vi IV
    (0, 5, 3, 4),  # I vi IV V
    (5, 3, 0, 4),  # vi IV I V
    (0, 3, 4, 3),  # I IV V IV
    (1, 4, 0, 0),  # ii V I I
)
"""Chord roots as scale degrees, one chord per bar."""


@dataclass(frozen=True)
class Song:
    """What to play: tempo, key, scale, length and timbre choices of one clip."""

    tempo_bpm: float
    root_midi: int
    scale: str
    duration_s: float
    progression: tuple[int, ...]
    lead_rolloff: float = 1.0
    lead_odd_only: bool = False
    swing: float = 0.0
    seed: int = 0


def midi_hz(note: float) -> float:
    """Frequency of a MIDI note number (A4 = 69 = 440 Hz)."""
    return float(440.0 * 2.0 ** ((note - 69.0) / 12.0))


def wavetable(
    f0: float, rolloff: float, odd_only: bool = False, brightness: float = 1.0
) -> FloatArray:
    """One period of a band-limited harmonic tone: partial k has amplitude k**-rolloff.

    Partials above 20 kHz (or Nyquist) are left out, so the table does not alias when
    played at ``f0``; ``brightness`` < 1 tilts the upper partials down further.
    """
    n_partials = max(1, min(TABLE_SIZE // 2 - 1, int(min(20_000.0, SAMPLE_RATE / 2 - 500) / f0)))
    k = np.arange(1, n_partials + 1, dtype=np.float64)
    amps = k**-rolloff * brightness ** (k - 1)
    if odd_only:
        amps[1::2] = 0.0
    spectrum = np.zeros(TABLE_SIZE // 2 + 1, dtype=np.complex128)
    spectrum[1 : n_partials + 1] = amps * 1j
    table = np.fft.irfft(spectrum, n=TABLE_SIZE)
    return table / (np.max(np.abs(table)) + 1e-12)


def play_table(
    table: FloatArray, freq: FloatArray | float, n: int, phase0: float = 0.0
) -> FloatArray:
    """Read ``table`` at a (possibly time-varying) frequency, linear interpolation."""
    step = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,)) * (TABLE_SIZE / SAMPLE_RATE)
    phase = (phase0 * TABLE_SIZE + np.cumsum(step) - step[0]) % TABLE_SIZE
    i0 = phase.astype(np.int64)
    frac = phase - i0
    return table[i0] * (1.0 - frac) + table[(i0 + 1) % TABLE_SIZE] * frac


def adsr(n: int, attack: float, decay: float, sustain: float, release: float) -> FloatArray:
    """An attack-decay-sustain-release envelope over ``n`` samples (times in seconds).

    The release happens inside the ``n`` samples, so a note never clicks at its end.
    """
    t = np.arange(n) / SAMPLE_RATE
    length = n / SAMPLE_RATE
    env = np.where(
        t < attack,
        t / max(attack, 1e-4),
        sustain + (1.0 - sustain) * np.exp(-(t - attack) / max(decay, 1e-4)),
    )
    release_start = max(length - release, 0.0)
    fade = np.clip((length - t) / max(length - release_start, 1e-4), 0.0, 1.0)
    return env * np.where(t >= release_start, fade, 1.0)


def reverb(
    stereo: FloatArray, rng: np.random.Generator, rt60: float = 1.4, wet: float = 0.18
) -> FloatArray:
    """Convolve each channel with exponentially decaying, slightly darkened noise.

    A cheap plate: decorrelated noise per channel gives width, the low-pass gives the
    high band a faster decay, like a real room.
    """
    n_ir = int(rt60 * SAMPLE_RATE)
    t = np.arange(n_ir) / SAMPLE_RATE
    decay = np.exp(-6.91 * t / rt60)  # -60 dB at rt60
    sos = signal.butter(2, 7_000, fs=SAMPLE_RATE, output="sos")
    out = np.empty_like(stereo)
    for ch in range(stereo.shape[0]):
        ir = signal.sosfilt(sos, rng.standard_normal(n_ir)) * decay
        ir /= np.sqrt(np.sum(ir**2)) + 1e-12
        wet_sig = signal.oaconvolve(stereo[ch], ir, mode="full")[: stereo.shape[1]]
        out[ch] = stereo[ch] + wet * wet_sig
    return out


class _Mixer:
    """A stereo bus that voices are added into at sample offsets, with constant-power pan."""

    def __init__(self, n: int) -> None:
        self.bus = np.zeros((2, n))

    def add(self, start: int, sound: FloatArray, gain: float, pan: float = 0.0) -> None:
        """Add ``sound`` at ``start``; ``pan`` from -1 (left) to 1 (right)."""
        n = self.bus.shape[1]
        if start >= n:
            return
        sound = sound[: n - start]
        angle = (pan + 1.0) * np.pi / 4.0
        self.bus[0, start : start + sound.size] += gain * np.cos(angle) * sound
        self.bus[1, start : start + sound.size] += gain * np.sin(angle) * sound


def _drum_kit(rng: np.random.Generator) -> dict[str, list[FloatArray]]:
    """A few variants of each drum hit, made once per song and reused for every beat."""
    sr = SAMPLE_RATE
    hp_hat = signal.butter(4, 7_500, btype="highpass", fs=sr, output="sos")
    hp_crash = signal.butter(2, 4_500, btype="highpass", fs=sr, output="sos")
    bp_snare = signal.butter(2, (1_500, 9_000), btype="bandpass", fs=sr, output="sos")
    kit: dict[str, list[FloatArray]] = {"kick": [], "snare": [], "hat": [], "open": [], "crash": []}
    for _ in range(3):
        t = np.arange(int(0.45 * sr)) / sr
        sweep = 45.0 + 90.0 * np.exp(-t / 0.04)
        kick = np.sin(2 * np.pi * np.cumsum(sweep) / sr) * np.exp(-t / 0.16)
        kick[:64] += rng.standard_normal(64) * np.linspace(0.6, 0.0, 64)
        kit["kick"].append(kick)

        t = np.arange(int(0.3 * sr)) / sr
        body = np.sin(2 * np.pi * 185.0 * t) * np.exp(-t / 0.05)
        rattle = signal.sosfilt(bp_snare, rng.standard_normal(t.size)) * np.exp(-t / 0.09)
        kit["snare"].append(0.6 * body + 1.4 * rattle)

        t = np.arange(int(0.12 * sr)) / sr
        kit["hat"].append(signal.sosfilt(hp_hat, rng.standard_normal(t.size)) * np.exp(-t / 0.025))
        t = np.arange(int(0.5 * sr)) / sr
        kit["open"].append(signal.sosfilt(hp_hat, rng.standard_normal(t.size)) * np.exp(-t / 0.12))

    t = np.arange(int(2.5 * sr)) / sr
    crash = signal.sosfilt(hp_crash, rng.standard_normal(t.size)) * np.exp(-t / 0.7)
    kit["crash"].append(crash * (1.0 - np.exp(-t / 0.002)))
    return kit


def render(song: Song) -> FloatArray:
    """Render ``song`` to float64 stereo, shape ``(2, n)``, peak-normalised to -1 dBFS."""
    sr = SAMPLE_RATE
    rng = np.random.default_rng(song.seed)
    n = int(song.duration_s * sr)
    mix = _Mixer(n)
    beat = 60.0 / song.tempo_bpm
    bar = 4 * beat
    scale = SCALES[song.scale]

    def degree_midi(degree: int, octave: int) -> int:
        return song.root_midi + 12 * (octave + degree // 7) + scale[degree % 7]

    n_bars = int(np.ceil(song.duration_s / bar))
    lead_octave = int(rng.integers(1, 3))
    melody_degree = 2 + 7 * lead_octave
    for b in range(n_bars):
        chord_root = song.progression[b % len(song.progression)]
        bar_start = b * bar
        chord = [degree_midi(chord_root + step, 0) for step in (0, 2, 4)]

        # Pad: the chord, held for the bar, soft attack, one table per note.
        length = int(bar * sr * 1.05)
        for i, note in enumerate(chord):
            table = wavetable(midi_hz(note), rolloff=1.8, brightness=0.93)
            detune = midi_hz(note) * (
                1.0 + 0.002 * np.sin(2 * np.pi * 0.3 * np.arange(length) / sr)
            )
            tone = play_table(table, detune, length, phase0=rng.random())
            env = adsr(length, 0.25, 0.8, 0.7, 0.3)
            mix.add(int(bar_start * sr), tone * env, 0.07, pan=(i - 1) * 0.5)

        # Bass: root on beats 1 and 3, fifth on the "and" of 4.
        bass_table = wavetable(midi_hz(degree_midi(chord_root, -2)), rolloff=2.2)
        for beat_i, step in ((0, 0), (2, 0), (3.5, 4)):
            note = degree_midi(chord_root + step, -2)
            length = int(beat * sr * (0.9 if beat_i != 3.5 else 0.45))
            tone = play_table(bass_table, midi_hz(note), length)
            mix.add(
                int((bar_start + beat_i * beat) * sr),
                tone * adsr(length, 0.005, 0.25, 0.5, 0.05),
                0.32,
            )

        # Lead: a random walk on the scale, eighths and quarters, with vibrato.
        t_beat = 0.0
        while t_beat < 4.0:
            dur = float(rng.choice([0.5, 0.5, 1.0, 1.5])) if t_beat < 3.5 else 0.5
            dur = min(dur, 4.0 - t_beat)
            melody_degree = int(
                np.clip(melody_degree + rng.integers(-2, 3), 7, 7 * (lead_octave + 2))
            )
            if rng.random() < 0.85:
                note = degree_midi(melody_degree, 0)
                length = int(dur * beat * sr)
                t = np.arange(length) / sr
                vibrato = 1.0 + 0.004 * np.sin(2 * np.pi * 5.5 * t) * np.clip(t / 0.3, 0.0, 1.0)
                table = wavetable(midi_hz(note), song.lead_rolloff, song.lead_odd_only, 0.97)
                tone = play_table(table, midi_hz(note) * vibrato, length)
                swing = song.swing * beat if (t_beat % 1.0) == 0.5 else 0.0
                start = int((bar_start + t_beat * beat + swing) * sr)
                mix.add(start, tone * adsr(length, 0.01, 0.3, 0.6, 0.08), 0.13, pan=0.15)
            t_beat += dur

    _drums(mix, _drum_kit(rng), rng, song, n_bars)
    stereo = reverb(mix.bus, rng)
    hp = signal.butter(2, 25.0, btype="highpass", fs=sr, output="sos")
    stereo = signal.sosfiltfilt(hp, stereo, axis=1)
    fade = np.minimum(1.0, np.minimum(np.arange(n), n - 1 - np.arange(n)) / (0.02 * sr))
    stereo *= fade
    return stereo * (10 ** (-1 / 20) / (np.max(np.abs(stereo)) + 1e-12))


def _drums(
    mix: _Mixer, kit: dict[str, list[FloatArray]], rng: np.random.Generator, song: Song, n_bars: int
) -> None:
    """A rock/pop pattern: kick on 1 and 3, snare on 2 and 4, swung eighth hats, crashes."""
    sr = SAMPLE_RATE
    beat = 60.0 / song.tempo_bpm

    def hit(name: str, at_beats: float, gain: float, pan: float = 0.0) -> None:
        sounds = kit[name]
        sound = sounds[int(rng.integers(len(sounds)))]
        jitter = rng.normal(0.0, 0.003)  # a drummer, not a grid
        mix.add(
            max(0, int((at_beats * beat + jitter) * sr)), sound, gain * rng.uniform(0.85, 1.0), pan
        )

    for b in range(n_bars):
        base = 4.0 * b
        if b % 4 == 0:
            hit("crash", base, 0.22, pan=-0.4)
        hit("kick", base, 0.55)
        hit("kick", base + 2.0, 0.5)
        if rng.random() < 0.5:
            hit("kick", base + 2.5, 0.35)
        hit("snare", base + 1.0, 0.3, pan=0.1)
        hit("snare", base + 3.0, 0.3, pan=0.1)
        for eighth in range(8):
            at = base + eighth / 2.0 + (song.swing * 0.5 if eighth % 2 else 0.0)
            if eighth == 7 and b % 2 == 1:
                hit("open", at, 0.12, pan=0.45)
            else:
                hit("hat", at, 0.16 if eighth % 2 == 0 else 0.1, pan=0.45)
