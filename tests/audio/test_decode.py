"""soundproof.audio.decode: formats, streaming, excerpts and typed errors for bad input."""

from __future__ import annotations

import contextlib
import functools
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from soundproof.audio import (
    AudioInfo,
    decode_bytes,
    encode,
    ensure_audible,
    iter_blocks,
    load,
    probe,
    read_excerpts,
)
from soundproof.errors import (
    AudioError,
    CorruptAudioError,
    EmptyFileError,
    NoAudioStreamError,
    NotAudioError,
    SilentAudioError,
    SoundproofError,
    TruncatedAudioError,
    UsageError,
    ZeroLengthAudioError,
)
from tests.audio.conftest import (
    LONG_RATE,
    LONG_SECONDS,
    TONE_HZ,
    pcm_wav_bytes,
    peak_hz,
    ramp_time,
    streamed_flac_bytes,
    tone_noise,
    write_wav_int16,
)

MakeFile = Callable[[str, bytes], Path]

# ----------------------------------------------------------------------------- formats


@pytest.mark.parametrize("fmt", ["mp3", "aac", "m4a", "ogg", "opus", "flac", "wav"])
def test_probe_describes_the_file(fmt: str, make_file: MakeFile) -> None:
    path = make_file(f"x.{fmt}", encode(tone_noise(44_100, seconds=3.0), 44_100, fmt))
    info = probe(path)
    assert isinstance(info, AudioInfo)
    assert info.path == str(path)
    assert info.sample_rate == (48_000 if fmt == "opus" else 44_100)
    assert info.channels == 2
    assert info.duration_s is not None and abs(info.duration_s - 3.0) < 0.2
    assert info.container and info.codec


@pytest.mark.parametrize("mono", [True, False])
def test_six_channel_wav(mono: bool, make_file: MakeFile) -> None:
    x = tone_noise(48_000, seconds=0.5, channels=6)
    samples, rate = load(make_file("six.wav", encode(x, 48_000, "wav")), mono=mono)
    assert rate == 48_000
    expected = x.mean(axis=1) if mono else x
    assert samples.shape == expected.shape
    assert np.abs(samples - expected).max() < 2e-4


@pytest.mark.parametrize("rate", [8000, 22_050, 96_000])
@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_unusual_rates_come_back_native(fmt: str, rate: int, make_file: MakeFile) -> None:
    x = tone_noise(rate, seconds=1.0, channels=2)
    samples, out_rate = load(make_file(f"x.{fmt}", encode(x, rate, fmt)))
    assert out_rate == rate
    assert samples.shape == (rate,)
    assert abs(peak_hz(samples, rate) - TONE_HZ) < 2


@pytest.mark.parametrize(
    ("codec", "sample_format", "tolerance"),
    [("pcm_u8", "u8", 1 / 64), ("pcm_s24le", "s32", 1e-6), ("pcm_f32le", "flt", 1e-7)],
)
@pytest.mark.parametrize("mono", [True, False])
def test_integer_and_float_sample_formats_scale_to_unit_range(
    codec: str, sample_format: str, tolerance: float, mono: bool
) -> None:
    x = tone_noise(8000, seconds=0.25, channels=3)
    samples, _ = decode_bytes(pcm_wav_bytes(x, 8000, codec, sample_format), mono=mono)
    expected = x.mean(axis=1) if mono else x
    assert samples.dtype == np.float32
    assert np.abs(samples - expected).max() < tolerance


def test_decode_bytes_matches_load(make_file: MakeFile) -> None:
    data = encode(tone_noise(44_100, seconds=1.0), 44_100, "mp3")
    from_bytes, rate = decode_bytes(data, mono=False)
    from_file, _ = load(make_file("x.mp3", data), mono=False)
    assert rate == 44_100
    np.testing.assert_array_equal(from_bytes, from_file)


def test_load_stops_after_max_seconds(make_file: MakeFile) -> None:
    path = make_file("x.flac", encode(tone_noise(44_100, seconds=3.0), 44_100, "flac"))
    samples, _ = load(path, max_seconds=1.25)
    assert samples.shape == (round(1.25 * 44_100),)


# ----------------------------------------------------------------------------- streaming


def test_iter_blocks_streams_a_long_file_in_bounded_blocks(long_wav: Path) -> None:
    tracemalloc.start()
    try:
        total = blocks = 0
        largest = 0
        for block in iter_blocks(long_wav):
            assert block.dtype == np.float32 and block.ndim == 1
            total += block.shape[0]
            largest = max(largest, block.shape[0])
            blocks += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == LONG_SECONDS * LONG_RATE
    assert largest <= 2 * LONG_RATE  # about one second each
    assert blocks >= LONG_SECONDS // 2
    whole_track = LONG_SECONDS * LONG_RATE * 4
    assert peak < whole_track / 20  # a few blocks, never the track (77 MB)


def test_iter_blocks_seeks_to_start_and_stops_after_max_seconds(ramp_wav: Path) -> None:
    blocks = list(iter_blocks(ramp_wav, start_s=30.0, max_seconds=2.5))
    samples = np.concatenate(blocks)
    assert samples.shape == (2.5 * 8000,)
    assert abs(ramp_time(float(samples[0])) - 30.0) < 0.01
    assert abs(ramp_time(float(samples[-1])) - 32.5) < 0.01


def test_iter_blocks_past_the_end_yields_nothing(ramp_wav: Path) -> None:
    assert list(iter_blocks(ramp_wav, start_s=120.0)) == []


def test_iter_blocks_reports_path_problems_at_once(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        iter_blocks(tmp_path / "missing.wav")


def test_read_excerpts_on_a_long_file_seeks(long_wav: Path) -> None:
    excerpts = read_excerpts(long_wav, excerpt_s=10.0, count=3)
    assert excerpts.sample_rate == LONG_RATE
    assert len(excerpts.segments) == 3
    assert all(seg.shape == (10 * LONG_RATE,) for seg in excerpts.segments)
    assert all(seg.dtype == np.float32 for seg in excerpts.segments)
    assert excerpts.duration_s == pytest.approx(LONG_SECONDS)
    assert 30.0 <= excerpts.decoded_s < 35.0  # only the excerpts, not 20 minutes
    assert excerpts.info.duration_s == pytest.approx(LONG_SECONDS)


def test_read_excerpts_are_evenly_spread_and_avoid_the_edges(ramp_wav: Path) -> None:
    excerpts = read_excerpts(ramp_wav, excerpt_s=4.0, count=4)
    starts = [ramp_time(float(seg[0])) for seg in excerpts.segments]
    ends = [ramp_time(float(seg[-1])) for seg in excerpts.segments]
    assert starts == sorted(starts)
    assert starts[0] >= 0.05 * 60 and ends[-1] <= 0.95 * 60
    gaps = np.diff(starts)
    assert np.allclose(gaps, gaps[0], atol=0.01)  # evenly spaced
    assert all(abs(e - s - 4.0) < 0.01 for s, e in zip(starts, ends, strict=True))  # contiguous


def test_read_excerpts_of_a_short_file_reads_sequentially(make_file: MakeFile) -> None:
    path = make_file("short.wav", encode(tone_noise(8000, seconds=5.0), 8000, "wav"))
    excerpts = read_excerpts(path, excerpt_s=2.0, count=3)
    assert [seg.shape[0] for seg in excerpts.segments] == [16_000, 16_000, 8000]
    assert excerpts.duration_s == pytest.approx(5.0)
    assert excerpts.decoded_s == pytest.approx(5.0)


def test_read_excerpts_keeps_bounded_audio_when_the_length_is_unknown(
    make_file: MakeFile,
) -> None:
    path = make_file("piped.flac", streamed_flac_bytes(tone_noise(8000, 60.0, channels=1), 8000))
    assert probe(path).duration_s is None
    excerpts = read_excerpts(path, excerpt_s=2.0, count=2)
    assert [seg.shape[0] for seg in excerpts.segments] == [16_000, 16_000]
    assert excerpts.decoded_s < 5.0  # stopped once 2 x 2 s were kept, not 60 s
    assert 4.0 <= excerpts.duration_s < 5.0  # a lower bound: all that is known


def test_a_bit_rate_estimate_that_is_far_too_long_is_not_truncation(make_file: MakeFile) -> None:
    # Raw AAC has no length field: FFmpeg estimates it from the first packets' bit rate,
    # which after 10 s of silence is tiny, so the estimate is ~40x the real 40 s.
    quiet_then_loud = np.concatenate([np.zeros(80_000), tone_noise(8000, 30.0, channels=1)])
    path = make_file("quiet.aac", encode(quiet_then_loud.astype(np.float32), 8000, "aac"))
    estimate = probe(path).duration_s
    assert estimate is not None and estimate > 400
    excerpts = read_excerpts(path, excerpt_s=3.0, count=3)
    assert [seg.shape[0] for seg in excerpts.segments] == [24_000] * 3
    assert excerpts.duration_s == pytest.approx(40.0, abs=0.5)  # measured, not estimated
    assert load(path)[0].shape[0] == pytest.approx(320_000, abs=2048)


def test_a_file_missing_its_last_third_still_gives_excerpts(make_file: MakeFile) -> None:
    data = _tone_bytes("mp3")  # 20 s
    path = make_file("cut.mp3", data[: len(data) * 2 // 3])
    excerpts = read_excerpts(path, excerpt_s=3.0, count=3)  # the last excerpt lies past the cut
    assert [seg.shape[0] for seg in excerpts.segments] == [3 * 44_100] * 3
    assert excerpts.duration_s == pytest.approx(13.3, abs=0.3)


@pytest.mark.parametrize("fmt", ["mp3", "aac", "m4a", "ogg", "opus", "flac"])
def test_read_excerpts_seeks_in_every_format(fmt: str, make_file: MakeFile) -> None:
    rate = 48_000 if fmt == "opus" else 44_100
    path = make_file(f"x.{fmt}", encode(tone_noise(44_100, seconds=12.0), 44_100, fmt))
    excerpts = read_excerpts(path, excerpt_s=1.0, count=3, mono=False)
    assert excerpts.sample_rate == rate
    assert [seg.shape for seg in excerpts.segments] == [(rate, 2)] * 3
    assert excerpts.decoded_s < 6.0
    for seg in excerpts.segments:
        assert abs(peak_hz(seg, rate) - TONE_HZ) < 5


def test_read_excerpts_rejects_bad_arguments(ramp_wav: Path) -> None:
    with pytest.raises(UsageError):
        read_excerpts(ramp_wav, excerpt_s=0.0, count=3)
    with pytest.raises(UsageError):
        read_excerpts(ramp_wav, excerpt_s=1.0, count=0)


# ----------------------------------------------------------------------------- silence


def test_ensure_audible() -> None:
    quiet = np.full(100, 10 ** (-80 / 20), dtype=np.float32)
    ensure_audible([np.zeros(100, dtype=np.float32), quiet], "x.wav")
    with pytest.raises(SilentAudioError, match=r"x\.wav"):
        ensure_audible([np.full(100, 1e-5, dtype=np.float32)], "x.wav")
    with pytest.raises(ZeroLengthAudioError):
        ensure_audible([], "x.wav")


# ----------------------------------------------------------------------------- bad input


@functools.cache
def _tone_bytes(fmt: str, seconds: float = 20.0) -> bytes:
    return encode(tone_noise(44_100, seconds=seconds), 44_100, fmt)


def _cut(fmt: str, fraction: float) -> bytes:
    data = _tone_bytes(fmt)
    return data[: int(len(data) * fraction)]


def _header_then_junk(fmt: str) -> bytes:
    data = _tone_bytes(fmt)
    keep = len(data) // 50
    junk = np.random.default_rng(7).integers(0, 256, len(data) - keep, dtype=np.uint8)
    return data[:keep] + junk.tobytes()


def _png_like() -> bytes:
    junk = np.random.default_rng(3).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    return b"\x89PNG\r\n\x1a\n" + junk


def _video_only() -> bytes:
    import io

    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="matroska") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width = stream.height = 32
        stream.pix_fmt = "yuv420p"
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


BAD_INPUTS: list[tuple[str, str, Callable[[], bytes], type[SoundproofError]]] = [
    ("empty", "empty.mp3", lambda: b"", EmptyFileError),
    ("text", "notes.txt", lambda: b"Dear diary, today I wrote some text.\n" * 40, NotAudioError),
    (
        "html",
        "page.mp3",
        lambda: b"<!DOCTYPE html><html><body><p>404 Not Found</p></body></html>\n" * 10,
        NotAudioError,
    ),
    ("png", "cover.png", _png_like, NotAudioError),
    (
        "random",
        "noise.bin",
        lambda: np.random.default_rng(1).integers(0, 256, 20_000, dtype=np.uint8).tobytes(),
        NotAudioError,
    ),
    ("video only", "clip.mkv", _video_only, NoAudioStreamError),
    ("mp3 cut to 10%", "cut.mp3", lambda: _cut("mp3", 0.1), TruncatedAudioError),
    ("mp3 cut to 100 B", "cut.mp3", lambda: _tone_bytes("mp3")[:100], TruncatedAudioError),
    ("flac cut to 10%", "cut.flac", lambda: _cut("flac", 0.1), TruncatedAudioError),
    ("flac cut to 100 B", "cut.flac", lambda: _tone_bytes("flac")[:100], TruncatedAudioError),
    ("wav cut to 10%", "cut.wav", lambda: _cut("wav", 0.1), TruncatedAudioError),
    ("wav cut to 100 B", "cut.wav", lambda: _tone_bytes("wav")[:100], TruncatedAudioError),
    ("mp3 header + junk", "junk.mp3", lambda: _header_then_junk("mp3"), CorruptAudioError),
    ("aac header + junk", "junk.aac", lambda: _header_then_junk("aac"), CorruptAudioError),
    (
        "header-only wav",
        "empty.wav",
        lambda: encode(np.zeros(0, dtype=np.float32), 44_100, "wav"),
        ZeroLengthAudioError,
    ),
    (
        "all-zero wav",
        "silence.wav",
        lambda: encode(np.zeros(44_100, dtype=np.float32), 44_100, "wav"),
        SilentAudioError,
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [pytest.param(n, d, e, id=i) for i, n, d, e in BAD_INPUTS],
)
def test_bad_input_raises_its_own_error(
    name: str, data: Callable[[], bytes], error: type[SoundproofError], make_file: MakeFile
) -> None:
    path = make_file(name, data())
    with pytest.raises(error) as raised:
        read_excerpts(path, excerpt_s=3.0, count=3)
    assert type(raised.value) is error
    assert name in str(raised.value)


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [pytest.param(n, d, e, id=i) for i, n, d, e in BAD_INPUTS if e is not SilentAudioError],
)
def test_load_and_decode_bytes_raise_the_same_errors(
    name: str, data: Callable[[], bytes], error: type[SoundproofError], make_file: MakeFile
) -> None:
    payload = data()
    with pytest.raises(error):
        load(make_file(name, payload))
    with pytest.raises(error):
        decode_bytes(payload)


def test_silence_is_only_an_error_for_excerpts(make_file: MakeFile) -> None:
    path = make_file("silence.wav", encode(np.zeros(8000, dtype=np.float32), 8000, "wav"))
    samples, _ = load(path)
    assert not samples.any()


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.mp3"
    for call in (probe, load, lambda p: read_excerpts(p, excerpt_s=1, count=1)):
        with pytest.raises(UsageError, match="no such file"):
            call(missing)


def test_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="directory"):
        read_excerpts(tmp_path, excerpt_s=1, count=1)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_is_a_usage_error(make_file: MakeFile) -> None:
    path = make_file("locked.wav", encode(tone_noise(8000, seconds=0.5), 8000, "wav"))
    path.chmod(0)
    try:
        with pytest.raises(UsageError, match="cannot read"):
            probe(path)
    finally:
        path.chmod(0o600)


def test_every_audio_error_is_a_soundproof_error() -> None:
    assert issubclass(AudioError, SoundproofError)


def test_stdlib_wav_cut_after_its_header_is_truncated(tmp_path: Path) -> None:
    path = write_wav_int16(tmp_path / "x.wav", tone_noise(8000, seconds=1.0), 8000)
    path.write_bytes(path.read_bytes()[:60])  # 44-byte header and 8 samples of 8000
    with pytest.raises(TruncatedAudioError, match="cut short"):
        load(path)


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "aac", "m4a", "ogg", "opus"])
def test_damaged_files_only_ever_raise_soundproof_errors(fmt: str, make_file: MakeFile) -> None:
    """Cuts, flipped bytes, junk runs and holes: typed errors or audio, never a raw one."""
    rng = np.random.default_rng(sum(fmt.encode()))
    original = encode(tone_noise(22_050, seconds=6.0), 22_050, fmt)
    for trial in range(12):
        data = bytearray(original)
        at = int(rng.integers(0, len(data)))
        if trial % 4 == 0:
            data = data[: max(at, 1)]
        elif trial % 4 == 1:
            for pos in rng.integers(0, len(data), 30):
                data[pos] = int(rng.integers(0, 256))
        elif trial % 4 == 2:
            end = min(len(data), at + 4000)
            data[at:end] = rng.integers(0, 256, end - at, dtype=np.uint8).tobytes()
        else:
            data = data[:at] + data[at + 2000 :]
        path = make_file(f"damaged.{fmt}", bytes(data))
        with contextlib.suppress(SoundproofError):
            read_excerpts(path, excerpt_s=1.0, count=3)
        with contextlib.suppress(SoundproofError):
            load(path)
