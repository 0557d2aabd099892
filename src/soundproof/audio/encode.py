"""Encode float audio to the common delivery formats, in memory, through PyAV.

The training pipeline uses :func:`encode` followed by :func:`soundproof.audio.decode_bytes`
as a lossy codec round trip, and :func:`roundtrip` does both and realigns the result, so the
code favours speed: samples go to PyAV in large packed chunks, and one
:class:`av.AudioResampler` converts them to the encoder's sample format, rate and fixed frame
size (the resampler's buffer sink cuts exact ``frame_size`` frames, so no extra FIFO is needed).

Length and codec delay, as decoded back by FFmpeg:

* ``wav``, ``flac``: exact.
* ``mp3``: LAME's delay and padding are written in the LAME/Xing tag and FFmpeg removes them
  on decode, so the length is exact (within a few samples).
* ``m4a``: the MP4 edit list records AAC's 1024-sample priming, which FFmpeg removes, so the
  start is aligned; the end stays padded to a whole 1024-sample frame (at most 23 ms at
  44.1 kHz).
* ``aac`` (raw ADTS): ADTS has nowhere to record the delay, so a decode starts with the
  encoder's 1024 priming samples and ends padded to a whole 1024-sample frame: about 23 ms
  longer at 44.1 kHz, and shifted by 1024 samples. :func:`roundtrip` removes both.
* ``ogg`` (Vorbis): granule positions trim the end; the length is exact to within 64
  samples. FFmpeg's native Vorbis encoder only takes stereo (mono is duplicated, more
  channels are downmixed) and is quality-driven, so ``bitrate`` is met only approximately.
* ``opus``: Opus only runs at 8, 12, 16, 24 or 48 kHz and FFmpeg always decodes it at 48 kHz,
  so :func:`encode` resamples the input to 48 kHz first. The Ogg header's pre-skip removes the
  encoder delay on decode, so the length is exact at 48 kHz. :func:`roundtrip` resamples the
  decode back to the input rate.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
from av.audio.stream import AudioStream
from av.container import OutputContainer

from soundproof.audio.decode import decode_bytes
from soundproof.errors import UsageError

_CHUNK_SAMPLES = 1 << 16
"""Samples per frame handed to the resampler: large enough to keep Python overhead low."""


@dataclass(frozen=True)
class _Spec:
    """How one user-facing format maps onto an FFmpeg muxer and encoder."""

    muxer: str
    codec: str
    sample_format: str
    default_bitrate: int | None
    fixed_rate: int | None = None
    options: tuple[tuple[str, str], ...] = ()
    min_channels: int = 1
    max_channels: int = 8
    quality_driven: bool = False


FORMATS: dict[str, _Spec] = {
    "wav": _Spec("wav", "pcm_s16le", "s16", None),
    "flac": _Spec("flac", "flac", "s16", None),
    "mp3": _Spec("mp3", "libmp3lame", "fltp", 192_000, max_channels=2),
    "aac": _Spec("adts", "aac", "fltp", 160_000),
    "m4a": _Spec("ipod", "aac", "fltp", 160_000),
    # FFmpeg's native Vorbis encoder is flagged experimental and only takes stereo;
    # libvorbis is not in PyAV's wheel.
    "ogg": _Spec(
        "ogg",
        "vorbis",
        "fltp",
        160_000,
        options=(("strict", "experimental"),),
        min_channels=2,
        max_channels=2,
        quality_driven=True,
    ),
    "opus": _Spec("ogg", "libopus", "flt", 128_000, fixed_rate=48_000),
}
"""Supported formats: ``fmt`` name -> muxer, encoder, encoder sample format, default bit rate."""

SUFFIXES: dict[str, str] = {
    ".wav": "wav",
    ".flac": "flac",
    ".mp3": "mp3",
    ".aac": "aac",
    ".m4a": "m4a",
    ".mp4": "m4a",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".opus": "opus",
}
"""File suffix -> format name, for :func:`write`."""

_PRIMING_SAMPLES: dict[str, int] = {"aac": 1024}
"""Leading encoder delay that the container cannot record, in samples at the encoded rate."""


def encode(samples: np.ndarray, sample_rate: int, fmt: str, *, bitrate: int | None = None) -> bytes:
    """Encode ``samples`` (float, ``(n,)`` mono or ``(n, channels)``) to ``fmt``, in memory.

    ``fmt`` is one of :data:`FORMATS`. Values are clipped to [-1, 1]; ``wav`` and ``flac`` are
    16-bit. ``bitrate`` (bits per second) applies to the lossy formats and defaults to a
    transparent-ish setting. A rate the codec cannot run at is resampled to the next one it
    can (Opus always runs at 48 kHz, the only rate FFmpeg decodes it at; MP3 tops out at
    48 kHz). See the module docstring for the length each format decodes back to.
    """
    spec = _spec(fmt)
    audio = _fit_channels(_as_frames_by_channels(samples), spec)
    if not isinstance(sample_rate, int | np.integer) or sample_rate <= 0:
        raise UsageError(f"sample rate must be a positive integer, got {sample_rate!r}")
    rate = int(sample_rate)
    channels = min(audio.shape[1], spec.max_channels)
    buffer = io.BytesIO()
    try:
        with av.open(buffer, mode="w", format=spec.muxer) as container:
            stream = _add_stream(container, spec, _codec_rate(spec, rate), channels, bitrate)
            _encode_all(container, stream, audio, rate)
    except av.error.FFmpegError as exc:
        raise UsageError(
            f"cannot encode {fmt} at {rate} Hz, {channels} channels, bit rate {bitrate}: {exc}"
        ) from None
    return buffer.getvalue()


def write(
    path: str | Path,
    samples: np.ndarray,
    sample_rate: int,
    fmt: str | None = None,
    bitrate: int | None = None,
) -> Path:
    """Encode ``samples`` and write them to ``path``; ``fmt`` defaults to the path's suffix."""
    path = Path(path)
    if fmt is None:
        fmt = SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            raise UsageError(
                f"{path}: cannot tell the audio format from the suffix {path.suffix!r}; "
                f"use one of {', '.join(sorted(SUFFIXES))} or pass fmt"
            )
    path.write_bytes(encode(samples, sample_rate, fmt, bitrate=bitrate))
    return path


def roundtrip(
    samples: np.ndarray, sample_rate: int, fmt: str, *, bitrate: int | None = None
) -> np.ndarray:
    """Encode to ``fmt`` and decode back: the lossy version of ``samples``, same shape and rate.

    Removes the priming delay that raw ADTS cannot record, resamples back when the codec ran
    at another rate (Opus, or MP3 above 48 kHz), and pads with zeros or trims the end so the
    result lines up sample for sample with the input. Only the channel count can differ:
    ``mp3`` and ``ogg`` carry at most two channels.
    """
    mono = np.asarray(samples).ndim == 1
    decoded, rate = decode_bytes(encode(samples, sample_rate, fmt, bitrate=bitrate), mono=mono)
    decoded = decoded[_PRIMING_SAMPLES.get(fmt.lower(), 0) :]
    if rate != sample_rate:
        decoded = _resample(decoded, rate, sample_rate)
    return _fit_length(decoded, np.asarray(samples).shape[0])


def _spec(fmt: str) -> _Spec:
    """Look up ``fmt`` or explain which names exist."""
    try:
        return FORMATS[fmt.lower()]
    except (KeyError, AttributeError):
        raise UsageError(
            f"unknown audio format {fmt!r}; use one of {', '.join(sorted(FORMATS))}"
        ) from None


def _as_frames_by_channels(samples: np.ndarray) -> np.ndarray:
    """Return C-contiguous float32 ``(n, channels)`` samples clipped to [-1, 1]."""
    audio = np.asarray(samples)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.ndim != 2 or audio.shape[1] < 1 or audio.shape[1] > 8:
        raise UsageError(
            f"samples must have shape (n,) or (n, channels) with 1-8 channels, got {audio.shape}"
        )
    if not np.issubdtype(audio.dtype, np.floating):
        raise UsageError(f"samples must be floating point in [-1, 1], got dtype {audio.dtype}")
    return np.ascontiguousarray(np.clip(audio, -1.0, 1.0, dtype=np.float32))


_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}
"""Layout per channel count: ones every encoder here accepts (libopus refuses '2.1')."""


def _layout_name(channels: int) -> str:
    """The FFmpeg channel layout used for ``channels`` channels."""
    return _LAYOUTS[channels]


def _fit_channels(audio: np.ndarray, spec: _Spec) -> np.ndarray:
    """Duplicate mono for stereo-only encoders; more channels are downmixed by FFmpeg."""
    if audio.shape[1] < spec.min_channels:
        return np.ascontiguousarray(np.repeat(audio, spec.min_channels, axis=1))
    return audio


def _codec_rate(spec: _Spec, rate: int) -> int:
    """The rate to run ``spec``'s encoder at: ``rate`` itself when the codec supports it."""
    if spec.fixed_rate:
        return spec.fixed_rate
    supported = av.Codec(spec.codec, "w").audio_rates
    if not supported or rate in supported:
        return rate
    higher = [r for r in supported if r >= rate]
    return min(higher) if higher else max(supported)


def _add_stream(
    container: OutputContainer, spec: _Spec, rate: int, channels: int, bitrate: int | None
) -> AudioStream:
    """Add and configure the encoder stream for ``spec``."""
    stream = container.add_stream(spec.codec, rate=rate)
    if not isinstance(stream, AudioStream):  # pragma: no cover - codec names are audio
        raise TypeError(f"{spec.codec} is not an audio encoder")
    ctx = stream.codec_context
    ctx.layout = _layout_name(channels)
    ctx.format = spec.sample_format
    options = dict(spec.options)
    if spec.default_bitrate is not None:
        ctx.bit_rate = int(bitrate or spec.default_bitrate)
        if spec.quality_driven:
            quality = _vorbis_quality(ctx.bit_rate / channels * 2)
            options |= {"flags": "+qscale", "global_quality": str(round(quality * _QP2LAMBDA))}
    if options:
        ctx.options = options
    return stream


_QP2LAMBDA = 118
"""FFmpeg's scale between a quality number and ``global_quality``."""

_VORBIS_KBPS_BY_QUALITY = (
    (0, 12),
    (1, 108),
    (2, 171),
    (3, 225),
    (4, 265),
    (5, 298),
    (6, 327),
    (8, 371),
    (10, 403),
)
"""Stereo bit rate of FFmpeg's native Vorbis encoder at each quality, measured on tone+noise."""


def _vorbis_quality(stereo_bps: float) -> float:
    """Quality that gives about ``stereo_bps`` with FFmpeg's native Vorbis encoder.

    That encoder ignores the bit rate (it would run at quality 8, ~370 kb/s), so the bit
    rate asked for is mapped to a quality through a measured table: the result is only
    approximately the bit rate asked for, and depends on the material.
    """
    qualities = [float(q) for q, _ in _VORBIS_KBPS_BY_QUALITY]
    kbps = [float(k) for _, k in _VORBIS_KBPS_BY_QUALITY]
    return float(np.interp(stereo_bps / 1000.0, kbps, qualities))


def _encode_all(
    container: OutputContainer, stream: AudioStream, audio: np.ndarray, rate: int
) -> None:
    """Feed ``audio`` through a resampler into the encoder and mux every packet."""
    ctx = stream.codec_context
    ctx.open()  # so frame_size is known before the first frame
    container.start_encoding()  # write the header even when there are no samples
    if not audio.shape[0]:
        return  # (flushing a Vorbis encoder that saw no frame never returns)
    resampler = av.AudioResampler(
        format=ctx.format.name,
        layout=ctx.layout.name,
        rate=ctx.sample_rate,
        frame_size=ctx.frame_size or None,
    )
    layout = _layout_name(audio.shape[1])
    for start in range(0, audio.shape[0], _CHUNK_SAMPLES):
        chunk = audio[start : start + _CHUNK_SAMPLES]
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout=layout)
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        for out in resampler.resample(frame):
            container.mux(stream.encode(out))
    for out in resampler.resample(None):
        container.mux(stream.encode(out))
    container.mux(stream.encode(None))


def _resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample float32 ``(n,)`` or ``(n, ch)`` audio with FFmpeg's resampler."""
    stereo = audio.ndim == 2
    frames_by_ch = audio if stereo else audio[:, None]
    layout = _layout_name(frames_by_ch.shape[1])
    resampler = av.AudioResampler(format="flt", layout=layout, rate=rate_out)
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(frames_by_ch, dtype=np.float32).reshape(1, -1),
        format="flt",
        layout=layout,
    )
    frame.sample_rate = rate_in
    frame.pts = 0
    outs = resampler.resample(frame) + resampler.resample(None)
    if not outs:
        return audio[:0]
    ch = frames_by_ch.shape[1]
    out = np.concatenate([f.to_ndarray().reshape(-1, ch) for f in outs])
    return out if stereo else out[:, 0]


def _fit_length(audio: np.ndarray, n: int) -> np.ndarray:
    """Trim or zero-pad the end of ``audio`` to exactly ``n`` samples."""
    if audio.shape[0] >= n:
        return audio[:n]
    pad = [(0, n - audio.shape[0])] + [(0, 0)] * (audio.ndim - 1)
    return np.pad(audio, pad)
