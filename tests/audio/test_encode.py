"""soundproof.audio.encode: every format round-trips through decode with its content intact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from soundproof.audio import FORMATS, decode_bytes, encode, load, probe, roundtrip, write
from soundproof.errors import UsageError
from tests.audio.conftest import TONE_HZ, peak_hz, tone_noise

LOSSLESS = {"wav", "flac"}
EXPECTED_CODEC = {
    "wav": "pcm_s16le",
    "flac": "flac",
    "mp3": "mp3",
    "aac": "aac",
    "m4a": "aac",
    "ogg": "vorbis",
    "opus": "opus",
}


@pytest.mark.parametrize("rate", [44_100, 48_000, 32_000])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_round_trips(fmt: str, rate: int) -> None:
    x = tone_noise(rate, seconds=2.0, channels=2)
    decoded, out_rate = decode_bytes(encode(x, rate, fmt), mono=False)

    assert out_rate == (48_000 if fmt == "opus" else rate)
    assert decoded.dtype == np.float32
    assert decoded.ndim == 2 and decoded.shape[1] == 2
    # Raw ADTS keeps 1024 priming samples and pads the last frame: < 0.1 s at these rates.
    assert abs(decoded.shape[0] / out_rate - 2.0) < (1e-9 if fmt in LOSSLESS else 0.1)
    assert abs(peak_hz(decoded, out_rate) - TONE_HZ) < 5
    assert np.abs(decoded).max() <= 1.0 + 0.1  # lossy codecs may overshoot a little


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_lossless_formats_are_exact_to_16_bits(fmt: str) -> None:
    x = tone_noise(44_100, seconds=0.5, channels=2)
    decoded, _ = decode_bytes(encode(x, 44_100, fmt), mono=False)
    assert np.abs(decoded - x).max() <= 1.0 / 32767


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_encoded_bytes_name_the_expected_codec(fmt: str, tmp_path: Path) -> None:
    path = write(tmp_path / f"tone.{fmt}", tone_noise(48_000, seconds=0.5), 48_000)
    assert probe(path).codec == EXPECTED_CODEC[fmt]


@pytest.mark.parametrize("fmt", ["flac", "wav", "aac", "m4a", "opus"])
def test_six_channels_survive(fmt: str) -> None:
    x = tone_noise(48_000, seconds=0.5, channels=6)
    decoded, _ = decode_bytes(encode(x, 48_000, fmt), mono=False)
    assert decoded.shape[1] == 6


def test_stereo_only_and_two_channel_encoders_adapt_the_channel_count() -> None:
    mono = tone_noise(44_100, seconds=0.5, channels=1)
    vorbis, _ = decode_bytes(encode(mono, 44_100, "ogg"), mono=False)
    assert vorbis.shape[1] == 2  # FFmpeg's Vorbis encoder only takes stereo
    surround = tone_noise(44_100, seconds=0.5, channels=6)
    mp3, _ = decode_bytes(encode(surround, 44_100, "mp3"), mono=False)
    assert mp3.shape[1] == 2  # LAME only takes up to stereo


@pytest.mark.parametrize("fmt", ["aac", "mp3", "opus", "ogg"])
@pytest.mark.parametrize("channels", [1, 2])
def test_roundtrip_keeps_shape_rate_and_alignment(fmt: str, channels: int) -> None:
    rate = 44_100
    x = tone_noise(rate, seconds=1.0, channels=channels)
    y = roundtrip(x, rate, fmt)
    assert y.shape == x.shape
    assert y.dtype == np.float32
    # Aligned: the lossy copy correlates strongly with the input sample for sample.
    a, b = x.reshape(x.shape[0], -1)[:, 0], y.reshape(y.shape[0], -1)[:, 0]
    assert np.corrcoef(a[2048:-2048], b[2048:-2048])[0, 1] > 0.9


def test_rates_a_codec_cannot_run_at_are_resampled() -> None:
    x = tone_noise(96_000, seconds=0.5)
    decoded, rate = decode_bytes(encode(x, 96_000, "mp3"), mono=False)
    assert rate == 48_000  # LAME's highest rate
    assert abs(peak_hz(decoded, rate) - TONE_HZ) < 5
    assert roundtrip(x, 96_000, "mp3").shape == x.shape


def test_bitrate_changes_the_size() -> None:
    x = tone_noise(44_100, seconds=2.0)
    assert len(encode(x, 44_100, "mp3", bitrate=64_000)) < len(
        encode(x, 44_100, "mp3", bitrate=256_000)
    )


def test_write_takes_the_format_from_the_suffix(tmp_path: Path) -> None:
    path = write(tmp_path / "x.FLAC", tone_noise(22_050, seconds=0.5), 22_050)
    samples, rate = load(path)
    assert rate == 22_050 and samples.shape == (11_025,)


def test_write_rejects_an_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="suffix"):
        write(tmp_path / "x.xyz", tone_noise(8000, seconds=0.1), 8000)


def test_empty_input_gives_a_header_only_wav() -> None:
    assert encode(np.zeros(0, dtype=np.float32), 8000, "wav")[:4] == b"RIFF"


@pytest.mark.parametrize(
    ("samples", "rate", "fmt", "match"),
    [
        (np.zeros(10, dtype=np.float32), 8000, "wma", "unknown audio format"),
        (np.zeros((10, 2, 2), dtype=np.float32), 8000, "wav", "shape"),
        (np.zeros((10, 9), dtype=np.float32), 8000, "wav", "shape"),
        (np.zeros(10, dtype=np.int16), 8000, "wav", "floating point"),
        (np.zeros(10, dtype=np.float32), 0, "wav", "sample rate"),
    ],
)
def test_bad_arguments_are_usage_errors(
    samples: np.ndarray, rate: int, fmt: str, match: str
) -> None:
    with pytest.raises(UsageError, match=match):
        encode(samples, rate, fmt)
