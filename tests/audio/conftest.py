"""Audio fixtures, all synthesised here: nothing is downloaded."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

TONE_HZ = 1000.0


def tone_noise(rate: int, seconds: float = 2.0, channels: int = 2, seed: int = 0) -> np.ndarray:
    """A 1 kHz tone plus a little white noise, float32 ``(n, channels)`` (``(n,)`` if mono)."""
    rng = np.random.default_rng(seed)
    n = round(rate * seconds)
    t = np.arange(n) / rate
    tone = 0.5 * np.sin(2 * np.pi * TONE_HZ * t)
    cols = [tone * (1.0 - 0.1 * c) + 0.02 * rng.standard_normal(n) for c in range(channels)]
    out = np.stack(cols, axis=1).astype(np.float32)
    return out[:, 0] if channels == 1 else out


def peak_hz(samples: np.ndarray, rate: int) -> float:
    """Frequency of the strongest spectral peak of (the mono mix of) ``samples``."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(mono.shape[0])))
    return float(np.argmax(spectrum) * rate / mono.shape[0])


def write_wav_int16(path: Path, samples: np.ndarray, rate: int) -> Path:
    """Write float ``samples`` ((n,) or (n, ch)) as 16-bit PCM with the stdlib ``wave``."""
    frames = samples if samples.ndim == 2 else samples[:, None]
    pcm = np.round(np.clip(frames, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(frames.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def pcm_wav_bytes(samples: np.ndarray, rate: int, codec: str, sample_format: str) -> bytes:
    """Encode float ``(n, ch)`` samples as WAV with any PCM codec (u8, s24, f32...) via PyAV."""
    layout = {1: "mono", 2: "stereo", 3: "3.0"}[samples.shape[1]]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="wav") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.codec_context.layout = layout
        stream.codec_context.format = sample_format
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1),
            format="flt",
            layout=layout,
        )
        frame.sample_rate = rate
        frame.pts = 0
        resampler = av.AudioResampler(format=sample_format, layout=layout, rate=rate)
        for out in resampler.resample(frame) + resampler.resample(None):
            container.mux(stream.encode(out))
        container.mux(stream.encode(None))
    return buffer.getvalue()


class _WriteOnly:
    """A sink that cannot seek, like a pipe: muxers cannot go back to fill in the length."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        return len(chunk)


def streamed_flac_bytes(samples: np.ndarray, rate: int) -> bytes:
    """FLAC as written to a pipe: its STREAMINFO says 'length unknown' (0 samples)."""
    sink = _WriteOnly()
    pcm = np.round(np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with av.open(sink, mode="w", format="flac") as container:
        stream = container.add_stream("flac", rate=rate)
        stream.codec_context.layout = "mono"
        stream.codec_context.format = "s16"
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return bytes(sink.data)


LONG_RATE = 16_000
LONG_SECONDS = 20 * 60


@pytest.fixture(scope="session")
def long_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 minutes of 16 kHz int16 mono (a 440 Hz tone), written a minute at a time.

    The test never holds the whole track: 38 MB on disk, 77 MB if decoded at once as float32.
    """
    path = tmp_path_factory.mktemp("long") / "twenty_minutes.wav"
    minute = np.arange(60 * LONG_RATE) / LONG_RATE
    chunk = np.round(0.3 * 32767 * np.sin(2 * np.pi * 440 * minute)).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(LONG_RATE)
        for _ in range(LONG_SECONDS // 60):
            w.writeframes(chunk)
    return path


@pytest.fixture(scope="session")
def ramp_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 s at 8 kHz whose sample value encodes time: x = -0.9 + 1.8 * t / 60."""
    rate, seconds = 8000, 60
    t = np.arange(rate * seconds) / rate
    path = tmp_path_factory.mktemp("ramp") / "ramp.wav"
    return write_wav_int16(path, (-0.9 + 1.8 * t / seconds).astype(np.float32), rate)


def ramp_time(value: float) -> float:
    """Invert the ramp of :func:`ramp_wav`: the time (s) at which it has ``value``."""
    return (value + 0.9) / 1.8 * 60


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """Write ``data`` to a file called ``name`` in a fresh temporary directory."""

    def make(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return make
