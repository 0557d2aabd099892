"""Post-processing applied to training audio, and named robustness conditions for evaluation.

Why a random chain
------------------
Training pairs real excerpts ("human") with the same excerpts passed through neural
decoders ("ai"). If only one class were ever MP3-encoded, resampled or made louder, the
classifier could learn the codec instead of the neural upsampler's comb-like peaks. So
:func:`random_post_chain` is applied to **both** classes with the same distribution: the
codec, bit rate, sample rate and level of a training example then carry no information
about its label, and the detector also sees the degradations music meets in the wild.

The chain, in order (each step drawn independently from ``rng``):

1. resampling, with probability :data:`P_RESAMPLE`, to another rate among
   :data:`RESAMPLE_RATES` (soxr, high quality);
2. a loudness change: a gain that puts the RMS level uniformly in :data:`TARGET_RMS_DBFS`,
   followed by a soft limiter (:func:`soft_limit`) so that loud settings bend the peaks
   instead of clipping them;
3. with probability ``noise_probability`` (default :data:`P_NOISE`), added noise, white
   or pink, at an SNR drawn from :data:`NOISE_SNR_DB` (a noisy transfer or mix); the
   comb must be learned as a pattern of peaks, not as their height above a clean floor;
4. with probability ``1 - P_LOSSLESS``, a lossy round trip through one of :data:`CODECS` at
   a bit rate drawn from :data:`BITRATES_KBPS` (Opus at most 256 kb/s; Opus always decodes
   at 48 kHz, so the output rate then is 48 kHz, as in any real Opus player).

Robustness conditions
---------------------
:func:`apply_condition` applies one fixed, named transformation (:data:`ROBUSTNESS_CONDITIONS`)
so evaluations can report accuracy per condition. Pitch shifts keep the duration: the audio
is time-stretched by a phase vocoder (:func:`time_stretch`, STFT and inverse STFT from
:mod:`scipy.signal`) and then resampled with soxr by the pitch ratio, the same method as
``librosa.effects.pitch_shift``. Speed changes are plain resampling: pitch and tempo move
together, as when a record is played fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr
from scipy.signal import istft, stft

from soundproof.audio import decode_bytes, encode, roundtrip
from soundproof.errors import UsageError

P_LOSSLESS = 0.25
"""Probability that the chain applies no lossy codec."""

CODECS: tuple[str, ...] = ("mp3", "aac", "opus", "vorbis")
"""Lossy codecs the chain draws from (uniformly)."""

BITRATES_KBPS: tuple[int, ...] = (64, 96, 128, 160, 192, 256, 320)
"""Bit rates the chain draws from (uniformly), in kb/s, before per-codec limits."""

OPUS_MAX_KBPS = 256
"""libopus accepts at most 256 kb/s per channel."""

MP3_LOW_RATE_MAX_KBPS = 160
"""MPEG-2 Layer III (sample rates below 32 kHz) stops at 160 kb/s."""

P_RESAMPLE = 0.5
"""Probability that the chain resamples."""

P_NOISE = 0.25
"""Default probability that the chain adds noise."""

NOISE_SNR_DB: tuple[float, float] = (15.0, 40.0)
"""Range of the signal-to-noise ratio of added noise, in dB."""

NOISE_COLOURS: tuple[str, ...] = ("white", "pink")
"""Kinds of noise the chain adds (equally likely)."""

RESAMPLE_RATES: tuple[int, ...] = (22_050, 32_000, 44_100, 48_000)
"""Rates the chain resamples to (uniformly among those that differ from the input rate)."""

TARGET_RMS_DBFS: tuple[float, float] = (-28.0, -10.0)
"""Range of the RMS level (dB full scale) the loudness change aims at."""

LIMIT_THRESHOLD = 10.0 ** (-1.0 / 20.0)
"""The soft limiter leaves samples below -1 dBFS untouched ..."""

LIMIT_CEILING = 0.999
"""... and bends louder ones smoothly towards this ceiling, never reaching it."""

ROBUSTNESS_CONDITIONS: tuple[str, ...] = (
    "clean",
    "mp3_64k",
    "mp3_128k",
    "aac_96k",
    "pitch_+1st",
    "pitch_-1st",
    "speed_+5pct",
    "speed_-5pct",
    "resample_32k",
    "noise_20db",
)
"""Named conditions of :func:`apply_condition`, for per-condition evaluation."""

_CODEC_FORMAT = {"mp3": "mp3", "aac": "m4a", "opus": "opus", "vorbis": "ogg"}
"""Chain codec -> :func:`soundproof.audio.encode` format (AAC in MP4, which records its
priming delay, so the decode lines up with the input)."""

PV_FFT_S = 0.046
"""Phase-vocoder frame length in seconds (2048 samples at 44.1 kHz)."""

PV_HOP_FRACTION = 0.25
"""Phase-vocoder hop as a fraction of the frame (75% overlap)."""


# --------------------------------------------------------------------------- training chain


def random_post_chain(
    audio: np.ndarray, sr: int, rng: np.random.Generator, *, noise_probability: float = P_NOISE
) -> tuple[np.ndarray, int, str]:
    """Apply a random resample / loudness / codec chain; return ``(audio, sr, description)``.

    ``audio`` is float ``(n,)`` (mono) or ``(n, channels)``. The description lists the steps
    taken, e.g. ``"resample32000,gain-3.2dB,mp3@128k"`` (``"lossless"`` when no codec was
    used). The same ``rng`` state always gives the same chain. See the module docstring.
    """
    x = _as_float32(audio)
    steps: list[str] = []
    if rng.random() < P_RESAMPLE:
        choices = [r for r in RESAMPLE_RATES if r != sr]
        target = int(choices[int(rng.integers(len(choices)))])
        x = resample(x, sr, target)
        sr = target
        steps.append(f"resample{sr}")
    target_dbfs = float(rng.uniform(*TARGET_RMS_DBFS))
    x, gain_db = set_loudness(x, target_dbfs)
    steps.append(f"gain{gain_db:+.1f}dB")
    if noise_probability > 0 and rng.random() < noise_probability:
        snr_db = float(rng.uniform(*NOISE_SNR_DB))
        colour = NOISE_COLOURS[int(rng.random() < 0.5)]
        x = add_noise(x, snr_db, rng, colour=colour)
        steps.append(f"{colour}{snr_db:.0f}dB")
    if rng.random() < P_LOSSLESS:
        steps.append("lossless")
    else:
        codec = CODECS[int(rng.integers(len(CODECS)))]
        kbps = int(BITRATES_KBPS[int(rng.integers(len(BITRATES_KBPS)))])
        x, sr, label = codec_roundtrip(x, sr, codec, kbps)
        steps.append(label)
    x = np.clip(x, -1.0, 1.0)
    return x, sr, ",".join(steps)


def adds_noise(description: str) -> bool:
    """True when a chain description (from :func:`random_post_chain`) includes added noise."""
    return parse_chain(description).noise is not None


@dataclass(frozen=True)
class ChainSteps:
    """The steps one :func:`random_post_chain` call took, read back from its description."""

    resampled_to: int | None
    """Rate resampled to, or None when the chain kept the rate."""
    gain_db: float | None
    """Gain of the loudness step (before the soft limiter)."""
    noise: str | None
    """Kind of added noise (``"white"``, ``"pink"``), or None."""
    codec: str
    """The lossy codec's name, or ``"lossless"``."""


def parse_chain(description: str) -> ChainSteps:
    """Read a description such as ``"resample32000,gain-3.2dB,pink24dB,mp3@128k"`` back.

    The evaluation groups its figures by these steps, to show which of them hide the
    comb. A ``"blend0.42,"`` prefix (faint fakes) is ignored, and so is anything that is
    not a chain step (the name of a robustness condition, ``"none"`` for no chain).
    """
    resampled_to: int | None = None
    gain_db: float | None = None
    noise: str | None = None
    codec = "lossless"
    for step in filter(None, description.split(",")):
        if step.startswith("resample") and step[len("resample") :].isdigit():
            resampled_to = int(step[len("resample") :])
        elif step.startswith("gain") and step.endswith("dB"):
            gain_db = float(step[len("gain") : -len("dB")])
        elif step.startswith(NOISE_COLOURS):
            noise = next(c for c in NOISE_COLOURS if step.startswith(c))
        elif "@" in step:
            codec = step.split("@", 1)[0]
    return ChainSteps(resampled_to, gain_db, noise, codec)


def codec_roundtrip(
    audio: np.ndarray, sr: int, codec: str, kbps: int
) -> tuple[np.ndarray, int, str]:
    """Encode with ``codec`` (one of :data:`CODECS`) and decode; return audio, rate, label.

    The bit rate is capped where the codec cannot reach it (Opus 256 kb/s, MP3 below 32 kHz
    160 kb/s) and the label names the bit rate asked for, e.g. ``"mp3@128k"``. FFmpeg's
    native encoders deviate: the AAC one tops out near 200 kb/s for mono at 44.1 kHz, and
    the Vorbis one (libvorbis is not in PyAV's wheel) ignores the bit rate and always
    encodes at one fixed quality and only in stereo, so mono is duplicated to two channels
    and decoded back to mono, and the label is ``"vorbis@fixedq"``. The decoded length
    matches the input (at the decoded rate, which is 48 kHz for Opus).
    """
    if codec not in _CODEC_FORMAT:
        raise UsageError(f"unknown codec {codec!r}; use one of {', '.join(CODECS)}")
    if codec == "opus":
        kbps = min(kbps, OPUS_MAX_KBPS)
    if codec == "mp3" and sr < 32_000:
        kbps = min(kbps, MP3_LOW_RATE_MAX_KBPS)
    x = _as_float32(audio)
    mono = x.ndim == 1
    source = x
    if codec == "vorbis" and mono:
        source = np.stack([x, x], axis=1)  # FFmpeg's Vorbis encoder only takes stereo
    data = encode(source, sr, _CODEC_FORMAT[codec], bitrate=kbps * 1000)
    decoded, out_sr = decode_bytes(data, mono=mono)
    n = round(x.shape[0] * out_sr / sr)
    decoded = _fit_length(decoded, n)
    label = "vorbis@fixedq" if codec == "vorbis" else f"{codec}@{kbps}k"
    return decoded.astype(np.float32, copy=False), int(out_sr), label


def set_loudness(audio: np.ndarray, target_dbfs: float) -> tuple[np.ndarray, float]:
    """Scale ``audio`` so its RMS level is ``target_dbfs``, then :func:`soft_limit` it.

    Returns the audio and the gain applied in dB (0 for digital silence, which is left
    alone). The limiter can make the final RMS slightly lower than the target.
    """
    x = _as_float32(audio)
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
    if rms <= 1e-9:
        return x, 0.0
    gain_db = target_dbfs - 20.0 * np.log10(rms)
    return soft_limit(x * np.float32(10.0 ** (gain_db / 20.0))), float(gain_db)


def soft_limit(
    audio: np.ndarray, threshold: float = LIMIT_THRESHOLD, ceiling: float = LIMIT_CEILING
) -> np.ndarray:
    """Pass samples below ``threshold`` unchanged; bend louder ones towards ``ceiling``.

    Above the threshold the magnitude becomes ``t + (c - t) * tanh((|x| - t) / (c - t))``,
    continuous with slope 1 at the threshold and always below the ceiling: a clip guard
    that distorts far less than hard clipping.
    """
    x = _as_float32(audio)
    magnitude = np.abs(x)
    over = magnitude > threshold
    if not np.any(over):
        return x
    knee = ceiling - threshold
    out = x.copy()
    bent = threshold + knee * np.tanh((magnitude[over] - threshold) / knee)
    out[over] = np.sign(x[over]) * bent
    return out


def resample(audio: np.ndarray, sr_in: float, sr_out: float) -> np.ndarray:
    """Resample float audio with soxr (high quality); rates may be fractional."""
    x = _as_float32(audio)
    if sr_in == sr_out:
        return x
    return np.asarray(soxr.resample(x, sr_in, sr_out, quality="HQ"), dtype=np.float32)


# --------------------------------------------------------------------------- conditions


def apply_condition(
    audio: np.ndarray, sr: int, name: str, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """Apply the robustness condition ``name`` (see :data:`ROBUSTNESS_CONDITIONS`).

    * ``clean``: unchanged.
    * ``mp3_64k``, ``mp3_128k``, ``aac_96k``: a codec round trip, realigned to the input
      (same rate and length).
    * ``pitch_+1st``, ``pitch_-1st``: one semitone up / down, same duration
      (:func:`pitch_shift`).
    * ``speed_+5pct``, ``speed_-5pct``: played 5% faster / slower by resampling; pitch and
      tempo change together and the length becomes ``n / 1.05`` or ``n / 0.95``.
    * ``resample_32k``: resampled to 32 kHz.
    * ``noise_20db``: white Gaussian noise (drawn from ``rng``) at 20 dB SNR relative to
      the mean power of the whole input.

    Returns ``(audio, rate)``; the output is float32 and not clipped.
    """
    x = _as_float32(audio)
    if name == "clean":
        return x, sr
    if name in ("mp3_64k", "mp3_128k", "aac_96k"):
        fmt, kbps = name.split("_")
        return roundtrip(x, sr, fmt, bitrate=int(kbps[:-1]) * 1000).astype(np.float32), sr
    if name in ("pitch_+1st", "pitch_-1st"):
        return pitch_shift(x, sr, 1.0 if name == "pitch_+1st" else -1.0), sr
    if name in ("speed_+5pct", "speed_-5pct"):
        factor = 1.05 if name == "speed_+5pct" else 0.95
        return change_speed(x, sr, factor), sr
    if name == "resample_32k":
        return resample(x, sr, 32_000), 32_000
    if name == "noise_20db":
        return add_noise(x, 20.0, rng), sr
    raise UsageError(
        f"unknown robustness condition {name!r}; use one of {', '.join(ROBUSTNESS_CONDITIONS)}"
    )


def change_speed(audio: np.ndarray, sr: int, factor: float) -> np.ndarray:
    """Play ``audio`` ``factor`` times faster at the same rate (pitch moves too)."""
    x = _as_float32(audio)
    return _fit_length(resample(x, sr * factor, sr), round(x.shape[0] / factor))


def add_noise(
    audio: np.ndarray, snr_db: float, rng: np.random.Generator, *, colour: str = "white"
) -> np.ndarray:
    """Add Gaussian noise at ``snr_db`` below the signal's mean power.

    ``colour`` is ``"white"`` (flat spectrum) or ``"pink"`` (power falling as 1/f, shaped
    in the frequency domain), the two kinds a recording or a transfer typically adds.
    """
    if colour not in ("white", "pink"):
        raise UsageError(f"unknown noise colour {colour!r}; use white or pink")
    x = _as_float32(audio)
    power = float(np.mean(np.square(x, dtype=np.float64))) if x.size else 0.0
    noise = rng.standard_normal(x.shape)
    if colour == "pink" and x.shape[0] > 1:
        spectrum = np.fft.rfft(noise, axis=0)
        f = np.arange(spectrum.shape[0], dtype=np.float64)
        f[0] = 1.0  # leave DC as it is (its amplitude barely matters)
        shape = 1.0 / np.sqrt(f)
        spectrum *= shape if spectrum.ndim == 1 else shape[:, None]
        noise = np.fft.irfft(spectrum, n=x.shape[0], axis=0)
    noise_power = float(np.mean(np.square(noise))) or 1.0
    noise *= np.sqrt(power / 10.0 ** (snr_db / 10.0) / noise_power)
    return (x + noise).astype(np.float32)


def pitch_shift(audio: np.ndarray, sr: int, semitones: float) -> np.ndarray:
    """Shift the pitch by ``semitones`` keeping the duration.

    Time-stretch by the ratio ``r = 2 ** (semitones / 12)`` with :func:`time_stretch` (the
    audio becomes ``r`` times longer at the same pitch), then resample by ``1 / r`` with
    soxr (back to the original length, every frequency multiplied by ``r``). The result is
    trimmed or padded to exactly the input length. Formants move with the pitch, as with
    any resampling pitch shifter.
    """
    x = _as_float32(audio)
    ratio = 2.0 ** (semitones / 12.0)
    if x.ndim == 2:
        return np.stack([pitch_shift(x[:, c], sr, semitones) for c in range(x.shape[1])], 1)
    stretched = time_stretch(x, 1.0 / ratio, sr)
    return _fit_length(resample(stretched, sr * ratio, sr), x.shape[0])


def time_stretch(audio: np.ndarray, rate: float, sr: int) -> np.ndarray:
    """Phase-vocoder time stretch of mono ``audio``: ``rate > 1`` is faster (shorter).

    The classic phase vocoder (Flanagan & Golden; the same algorithm as
    ``librosa.phase_vocoder``): take the STFT (Hann window of :data:`PV_FFT_S`, 75%
    overlap), read it at fractional frame positions ``0, rate, 2 rate, ...``, interpolate
    magnitudes linearly between neighbouring frames, and rebuild each bin's phase by
    accumulating its measured phase advance per hop (expected advance plus the wrapped
    deviation), so partials stay coherent; then inverse STFT with the same window and hop.
    The output has ``round(n / rate)`` samples.
    """
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim != 1:
        raise UsageError("time_stretch takes mono audio")
    n_out = round(x.shape[0] / rate)
    if x.shape[0] < 2 or rate == 1.0:
        return _fit_length(x.astype(np.float32), n_out)
    n_fft = 1 << max(6, round(np.log2(PV_FFT_S * sr)))
    hop = max(1, round(n_fft * PV_HOP_FRACTION))
    _, _, spec = stft(x, nperseg=n_fft, noverlap=n_fft - hop, window="hann")
    n_bins, n_frames = spec.shape
    positions = np.arange(0.0, n_frames, rate)
    index = positions.astype(np.int64)
    frac = positions - index
    padded = np.concatenate([spec, np.zeros((n_bins, 2), spec.dtype)], axis=1)
    left, right = padded[:, index], padded[:, index + 1]
    magnitude = (1.0 - frac) * np.abs(left) + frac * np.abs(right)
    expected = 2.0 * np.pi * hop * np.arange(n_bins) / n_fft
    deviation = np.angle(right) - np.angle(left) - expected[:, None]
    deviation -= 2.0 * np.pi * np.round(deviation / (2.0 * np.pi))
    advance = expected[:, None] + deviation
    phase = np.angle(spec[:, :1]) + np.concatenate(
        [np.zeros((n_bins, 1)), np.cumsum(advance[:, :-1], axis=1)], axis=1
    )
    _, y = istft(magnitude * np.exp(1j * phase), nperseg=n_fft, noverlap=n_fft - hop, window="hann")
    return _fit_length(np.asarray(y, dtype=np.float32), n_out)


# --------------------------------------------------------------------------- helpers


def _as_float32(audio: np.ndarray) -> np.ndarray:
    """``audio`` as float32 ``(n,)`` or ``(n, channels)``, rejecting other shapes."""
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim not in (1, 2):
        raise UsageError(f"audio must have shape (n,) or (n, channels), got {x.shape}")
    return x


def _fit_length(audio: np.ndarray, n: int) -> np.ndarray:
    """Trim or zero-pad the end of ``audio`` to exactly ``n`` samples."""
    if audio.shape[0] >= n:
        return audio[:n]
    pad = [(0, n - audio.shape[0])] + [(0, 0)] * (audio.ndim - 1)
    return np.pad(audio, pad)
