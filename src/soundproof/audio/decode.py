"""Decode any common audio file to float32 numpy, streaming, through PyAV only.

Every analysis reads audio through this module, so it is built for three things:

* **Bounded memory.** Nothing here holds a whole track unless asked to (:func:`load`):
  :func:`iter_blocks` yields ~1 s blocks and :func:`read_excerpts` keeps only the excerpts.
* **Speed.** :func:`read_excerpts` is the detector's hot path. It opens the container once,
  seeks to a few evenly spaced positions and decodes only those seconds. Frames are viewed
  zero-copy and converted with whole-array numpy operations (no per-sample Python), which
  measured ~10x faster than asking FFmpeg's resampler for a mono float downmix. FFmpeg's
  decoder threads (``thread_type="AUTO"``) measured no gain on these audio codecs, so they
  stay off (and one process per core scales better anyway).
* **Typed errors.** Bad input never escapes as a raw ``av`` or numpy exception: it becomes
  one of the :class:`soundproof.errors.AudioError` subclasses, with a message for the user
  that names the file and says what is wrong:

  - :class:`~soundproof.errors.EmptyFileError`: 0 bytes;
  - :class:`~soundproof.errors.NotAudioError`: text, HTML, images, junk;
  - :class:`~soundproof.errors.NoAudioStreamError`: a media file without audio (video only);
  - :class:`~soundproof.errors.TruncatedAudioError`: cut short, i.e. less than half of the
    duration its header promises decodes, or only (part of) the header is there;
  - :class:`~soundproof.errors.CorruptAudioError`: opens, but its audio data is garbage;
  - :class:`~soundproof.errors.ZeroLengthAudioError`: a valid file with no samples;
  - :class:`~soundproof.errors.SilentAudioError`: digital silence (:func:`ensure_audible`).

  A missing path, a directory or an unreadable file is a
  :class:`~soundproof.errors.UsageError`.

Samples come out at the file's native rate (never resampled), as float32 in [-1, 1]: shape
``(n,)`` with ``mono=True`` (the mean of the channels), else ``(n, channels)``.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, cast

import av
import av.error
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer

from soundproof.errors import (
    AudioError,
    CorruptAudioError,
    EmptyFileError,
    NoAudioStreamError,
    NotAudioError,
    SilentAudioError,
    TruncatedAudioError,
    UsageError,
    ZeroLengthAudioError,
)

SILENCE_DBFS = -90.0
"""Audio whose every sample is below this level (dB full scale) counts as digital silence."""

_SILENCE_AMPLITUDE = 10.0 ** (SILENCE_DBFS / 20.0)

TRUNCATED_FRACTION = 0.5
"""A file that decodes to less than this fraction of its promised duration is truncated."""

EDGE_FRACTION = 0.05
"""Excerpts avoid this fraction of the track at each end (intros, fades, silence)."""

SEEK_FACTOR = 1.5
"""Seek only when the track is longer than this many times the excerpts it must supply."""

_PREROLL_S = 0.1
"""Decoded and dropped before each excerpt after a seek, so the decoder has settled."""

_BLOCK_S = 1.0
"""Approximate length of the blocks :func:`iter_blocks` yields."""

_HEAD_BYTES = 1 << 16
"""Bytes read before opening a file: enough to sniff its type and parse a WAV header."""

_SMALL_FILE_BYTES = 4096
"""An unopenable file this small that looks like audio is a header without its data."""

_MIN_DECODE_ERRORS = 10
"""Decoding errors tolerated before the error ratio is checked (damaged packets happen)."""

_NOT_AUDIO_DEMUXERS = frozenset({"tty", "image2", "image2pipe", "srt", "ass", "webvtt", "lrc"})
"""FFmpeg demuxers that read text or still images: finding one means 'not an audio file'."""


@dataclass(frozen=True)
class AudioInfo:
    """What the container says about a file's audio, without decoding it.

    ``duration_s`` and ``bit_rate`` are ``None`` when the container does not say;
    ``container`` is FFmpeg's demuxer name (``"mp3"``, ``"ogg"``, ``"mov,mp4,m4a,3gp,3g2,mj2"``)
    and ``codec`` its codec name (``"mp3"``, ``"aac"``, ``"vorbis"``, ``"pcm_s16le"``).
    """

    path: str
    container: str
    codec: str
    sample_rate: int
    channels: int
    duration_s: float | None
    bit_rate: int | None


@dataclass
class Excerpts:
    """What :func:`read_excerpts` returns: a few excerpts of a track, and how they were read.

    ``segments`` are float32 at ``sample_rate``, in track order; each holds at most
    ``excerpt_s`` seconds (only the last may be shorter, when the track is short).
    ``duration_s`` is the best known duration of the whole track: the container's figure,
    or the decoded length when the whole file was decoded, or a lower bound (the seconds
    decoded) when neither is known. ``decoded_s`` is how many seconds the decoder produced
    for this call, pre-roll after seeks included: the cost of the read.
    """

    info: AudioInfo
    sample_rate: int
    segments: list[np.ndarray] = field(default_factory=list)
    duration_s: float = 0.0
    decoded_s: float = 0.0


# --------------------------------------------------------------------------- public API


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Describe the audio in ``path`` (container, codec, rate, channels, duration) quickly.

    Reads only the container header. Raises an :class:`~soundproof.errors.AudioError`
    subclass when the file is not usable audio, and :class:`~soundproof.errors.UsageError`
    when the path is missing, a directory or unreadable.
    """
    with _Input.open_path(path) as inp:
        return inp.info


def iter_blocks(
    path: str | os.PathLike[str],
    *,
    mono: bool = True,
    start_s: float = 0.0,
    max_seconds: float | None = None,
) -> Iterator[np.ndarray]:
    """Yield consecutive float32 blocks of about one second, from ``start_s`` onwards.

    Memory stays bounded whatever the track's length: one block and one decoded frame at a
    time. ``start_s > 0`` seeks (so the first block starts at ``start_s`` within a frame);
    decoding stops after ``max_seconds`` when given. Problems with the path are raised at
    once; decoding problems are raised while iterating.
    """
    _check_path(path)
    if start_s < 0 or (max_seconds is not None and max_seconds < 0):
        raise UsageError("start_s and max_seconds must not be negative")
    return _iter_blocks(path, mono=mono, start_s=start_s, max_seconds=max_seconds)


def read_excerpts(
    path: str | os.PathLike[str], *, excerpt_s: float, count: int, mono: bool = True
) -> Excerpts:
    """Decode ``count`` excerpts of ``excerpt_s`` seconds, evenly spread over the track.

    This is the detector's entry point. When the duration is known and longer than
    ``count * excerpt_s * 1.5``, it seeks to ``count`` evenly spaced positions that avoid the
    first and last 5% and decodes only those excerpts. Otherwise it decodes sequentially:
    evenly spaced excerpts when the duration is known, else the first ``count * excerpt_s``
    seconds cut into excerpts, stopping there (so memory and time stay bounded even when
    the length is unknown). The container is opened once.

    Raises :class:`~soundproof.errors.SilentAudioError` when the excerpts are digital
    silence, and the other :class:`~soundproof.errors.AudioError` subclasses for unusable
    files.
    """
    if not excerpt_s > 0 or count < 1:
        raise UsageError(f"need excerpt_s > 0 and count >= 1, got {excerpt_s} and {count}")
    with _Input.open_path(path) as inp:
        excerpts = _read_excerpts(inp, excerpt_s=float(excerpt_s), count=int(count), mono=mono)
    ensure_audible(excerpts.segments, inp.label)
    return excerpts


def load(
    path: str | os.PathLike[str], *, mono: bool = True, max_seconds: float | None = None
) -> tuple[np.ndarray, int]:
    """Decode a whole file (or its first ``max_seconds``) into one array: ``(samples, rate)``.

    A convenience for training and tests; it holds the whole result in memory, so prefer
    :func:`iter_blocks` or :func:`read_excerpts` for arbitrary user files.
    """
    _check_path(path)
    with _Input.open_path(path) as inp:
        return _decode_all(inp, mono=mono, max_seconds=max_seconds), inp.info.sample_rate


def decode_bytes(data: bytes, *, mono: bool = True) -> tuple[np.ndarray, int]:
    """Decode a whole in-memory file (e.g. from :func:`soundproof.audio.encode`).

    Returns ``(samples, rate)`` like :func:`load`. Used for in-memory codec round trips.
    """
    with _Input.open_bytes(bytes(data)) as inp:
        return _decode_all(inp, mono=mono, max_seconds=None), inp.info.sample_rate


def ensure_audible(segments: Sequence[np.ndarray], path: str | os.PathLike[str]) -> None:
    """Raise :class:`~soundproof.errors.SilentAudioError` if ``segments`` are digital silence.

    Digital silence means every sample is below -90 dBFS. An empty list (or only empty
    segments) raises :class:`~soundproof.errors.ZeroLengthAudioError`.
    """
    if not any(seg.size for seg in segments):
        raise ZeroLengthAudioError(f"{path}: the file contains no audio samples")
    for seg in segments:
        if seg.size and max(float(seg.max()), -float(seg.min())) >= _SILENCE_AMPLITUDE:
            return
    raise SilentAudioError(
        f"{path}: the audio is digital silence (every sample below {SILENCE_DBFS:.0f} dBFS), "
        "so there is nothing to analyse"
    )


# --------------------------------------------------------------------------- opening


def _check_path(path: str | os.PathLike[str]) -> Path:
    """Turn path problems into user errors before FFmpeg sees the file."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{p}: no such file")
    if p.is_dir():
        raise UsageError(f"{p}: is a directory, not an audio file")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise UsageError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    if size == 0 and p.is_file():
        raise EmptyFileError(f"{p}: the file is empty (0 bytes)")
    return p


def _sniff(head: bytes) -> str | None:
    """Name the audio format ``head`` starts with, if its magic bytes say it is audio."""
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"RF64"):
        return "WAV"
    magics = {b"fLaC": "FLAC", b"OggS": "Ogg", b"ID3": "MP3", b"FORM": "AIFF", b"caff": "CAF"}
    for magic, name in magics.items():
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp":
        return "MP4/M4A"
    if _mpeg_frames_chain(head):
        return "MPEG audio"
    return None


_MP3_KBPS = {  # bit rate index -> kb/s, for MPEG-1 and MPEG-2/2.5 Layer III
    1: (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mpeg_frame_length(head: bytes, pos: int) -> int | None:
    """Length of the ADTS or MP3 (Layer III) frame whose header starts at ``pos``."""
    if pos + 6 > len(head) or head[pos] != 0xFF:
        return None
    b1, b2 = head[pos + 1], head[pos + 2]
    if b1 & 0xF6 == 0xF0:  # ADTS: 12-bit sync, layer 0
        length = (head[pos + 3] & 0x03) << 11 | head[pos + 4] << 3 | head[pos + 5] >> 5
        return length if length >= 7 else None
    version, layer, index, rate_index = (b1 >> 3) & 3, (b1 >> 1) & 3, b2 >> 4, (b2 >> 2) & 3
    if b1 & 0xE0 != 0xE0 or version == 1 or layer != 1 or index in (0, 15) or rate_index == 3:
        return None
    kbps = _MP3_KBPS[1 if version == 3 else 2][index - 1]
    rate = _MP3_RATES[version][rate_index]
    return (144 if version == 3 else 72) * kbps * 1000 // rate + ((b2 >> 1) & 1)


def _mpeg_frames_chain(head: bytes) -> bool:
    """Whether ``head`` starts with an ADTS/MP3 frame followed by another (or the end).

    One valid-looking header alone happens in 1 of ~5000 random files; two chained do not.
    """
    length = _mpeg_frame_length(head, 0)
    if length is None:
        return False
    return length >= len(head) - 4 or _mpeg_frame_length(head, length) is not None


def _open_options(head: bytes) -> dict[str, str]:
    """FFmpeg options for opening a file that starts with ``head``.

    WAV and AIFF headers hold every stream parameter, yet FFmpeg would read up to 5 MB of
    PCM to "analyse" it (30 ms per open); a small probe size removes that cost. Other
    formats keep FFmpeg's defaults, which some containers need to find their streams.
    """
    if _sniff(head) in ("WAV", "AIFF"):
        return {"probesize": "65536"}
    return {}


_EXACT_DURATION_FORMATS = frozenset(
    {"wav", "w64", "aiff", "caf", "ogg", "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"}
)
"""Demuxers whose duration comes from the file itself (an index, the last page, a header),
not from FFmpeg's estimate from the bit rate, which can be off by any factor."""


@dataclass(frozen=True)
class _HeaderFacts:
    """What our own reading of a file's first bytes says, beyond what FFmpeg reports.

    ``promised_s``: the duration a WAV or FLAC header promises (FFmpeg clamps a WAV's to the
    file size, which would hide a cut). ``mp3_indexed``: the MP3 starts with a Xing/Info/VBRI
    frame, so FFmpeg's duration is the encoder's frame count, not an estimate.
    """

    promised_s: float | None = None
    mp3_indexed: bool = False

    @classmethod
    def read(cls, fileobj: BinaryIO, head: bytes) -> _HeaderFacts:
        """Parse ``head`` (and, past a long ID3 tag, the first MP3 frame in ``fileobj``)."""
        promised = _wav_promised_s(head) or _flac_promised_s(head)
        if promised is not None:
            return cls(promised_s=promised)
        offset = _id3_size(head)
        if offset + 256 > len(head):
            fileobj.seek(offset)
            first = fileobj.read(4096)
            fileobj.seek(0)
        else:
            first = head[offset : offset + 4096]
        return cls(mp3_indexed=_has_vbr_index(first))


def _wav_promised_s(head: bytes) -> float | None:
    """Duration a WAV header promises, from its data chunk's size."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, rate, block_align = 12, 0, 0
    while pos + 8 <= len(head):
        chunk, size = head[pos : pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        if chunk == b"fmt " and pos + 20 <= len(head):
            rate, _, block_align = struct.unpack_from("<IIH", head, pos + 12)
        elif chunk == b"data":
            if rate and block_align and 0 < size < 0xFFFFFFFF:
                return float(size / block_align / rate)
            return None
        pos += 8 + size + (size & 1)
    return None


def _flac_promised_s(head: bytes) -> float | None:
    """Duration in a FLAC STREAMINFO block (``None`` when it says 'unknown', i.e. 0)."""
    if head[:4] != b"fLaC" or len(head) < 8 + 18 or head[4] & 0x7F != 0:
        return None
    info = head[8:26]
    rate = (info[10] << 12) | (info[11] << 4) | (info[12] >> 4)
    total = ((info[13] & 0x0F) << 32) | int.from_bytes(info[14:18], "big")
    return total / rate if rate and total else None


def _id3_size(head: bytes) -> int:
    """Bytes taken by a leading ID3v2 tag (0 when there is none)."""
    if head[:3] != b"ID3" or len(head) < 10:
        return 0
    size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | head[9]
    return 10 + size + (10 if head[5] & 0x10 else 0)


def _has_vbr_index(data: bytes) -> bool:
    """Whether the first MPEG audio frame in ``data`` is a Xing, Info or VBRI header."""
    for i in range(len(data) - 1):
        if data[i] == 0xFF and data[i + 1] & 0xE0 == 0xE0:
            frame = data[i : i + 200]
            return any(tag in frame for tag in (b"Xing", b"Info", b"VBRI"))
    return False


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    """``value * time_base`` as seconds, or ``None`` when unknown."""
    if value is None or time_base is None:
        return None
    return float(value * time_base)


class _Input:
    """One open container and its audio stream, with the error bookkeeping of a read."""

    def __init__(
        self,
        container: InputContainer,
        stream: AudioStream,
        fileobj: BinaryIO,
        label: str,
        facts: _HeaderFacts,
    ) -> None:
        self.container = container
        self.fileobj = fileobj
        self.stream = stream
        self.label = label
        self.good_frames = 0
        self.decode_errors = 0
        self.decoded_samples = 0
        self.demux_error: str | None = None
        self.length_measured = False
        self.info = self._describe()
        self.start_offset_s = _seconds(stream.start_time, stream.time_base) or 0.0
        self.promised_s, self.promise_exact = self._promise(facts)

    # -- construction -----------------------------------------------------------------

    @classmethod
    def open_path(cls, path: str | os.PathLike[str]) -> _Input:
        """Open a file by path, mapping every failure to a user-facing error."""
        p = _check_path(path)
        try:
            fileobj: BinaryIO = open(p, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise UsageError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
        try:
            try:
                head = fileobj.read(_HEAD_BYTES)
                fileobj.seek(0)
            except OSError as exc:
                raise UsageError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
            return cls._open(fileobj, str(p), head, p.stat().st_size)
        except BaseException:
            fileobj.close()
            raise

    @classmethod
    def open_bytes(cls, data: bytes) -> _Input:
        """Open an in-memory file, mapping every failure to a user-facing error."""
        if not data:
            raise EmptyFileError("<bytes>: the data is empty (0 bytes)")
        return cls._open(io.BytesIO(data), "<bytes>", data[:_HEAD_BYTES], len(data))

    @classmethod
    def _open(cls, fileobj: BinaryIO, label: str, head: bytes, size: int) -> _Input:
        """Open ``fileobj`` with PyAV and pick its audio stream."""
        if not head:
            raise EmptyFileError(f"{label}: the file is empty (0 bytes)")
        facts = _HeaderFacts.read(fileobj, head)
        try:
            container = av.open(fileobj, mode="r", options=_open_options(head))
        except av.error.EOFError:
            kind = _sniff(head) or "audio"
            raise TruncatedAudioError(
                f"{label}: the file ends inside its {kind} header ({size} bytes): it was cut short"
            ) from None
        except (av.error.FFmpegError, ValueError, UnicodeDecodeError) as exc:
            raise _unopenable(label, head, size, exc) from None
        try:
            stream = _audio_stream(container, label, size)
            return cls(container, stream, fileobj, label, facts)
        except BaseException:
            container.close()
            raise

    def __enter__(self) -> _Input:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the container and, for files, the file object."""
        self.container.close()
        self.fileobj.close()

    def _promise(self, facts: _HeaderFacts) -> tuple[float | None, bool]:
        """Duration the file promises, and whether it is exact rather than an estimate.

        Only an exact promise can prove a file truncated: a raw AAC or untagged MP3
        duration is estimated from the bit rate of its first packets.
        """
        if facts.promised_s is not None:
            return facts.promised_s, True
        fmt = self.container.format.name
        exact = fmt in _EXACT_DURATION_FORMATS or (fmt == "mp3" and facts.mp3_indexed)
        return self.info.duration_s, exact

    def _describe(self) -> AudioInfo:
        """Build the :class:`AudioInfo` from the container and stream headers."""
        ctx = self.stream.codec_context
        duration = _seconds(self.stream.duration, self.stream.time_base)
        if duration is None and self.container.duration is not None:
            duration = self.container.duration / av.time_base
        bit_rate = ctx.bit_rate or self.container.bit_rate or None
        return AudioInfo(
            path=self.label,
            container=self.container.format.name,
            codec=ctx.codec.canonical_name,
            sample_rate=int(ctx.sample_rate),
            channels=int(ctx.channels),
            duration_s=duration if duration is None or duration >= 0 else None,
            bit_rate=int(bit_rate) if bit_rate else None,
        )

    # -- decoding ---------------------------------------------------------------------

    def frames(self) -> Iterator[AudioFrame]:
        """Decode frames from the current position, skipping (and counting) bad packets."""
        try:
            for packet in self.container.demux(self.stream):
                try:
                    decoded = packet.decode()
                except av.error.FFmpegError:
                    self._count_error()
                    continue
                for frame in decoded:
                    if frame.samples:
                        self.good_frames += 1
                        self.decoded_samples += frame.samples
                        yield frame
        except av.error.EOFError:
            return
        except (av.error.FFmpegError, ValueError) as exc:  # demuxer lost in damaged data
            self.demux_error = str(exc)

    def seek(self, position_s: float) -> bool:
        """Seek to the keyframe at or before ``position_s``; False if the format cannot."""
        time_base = self.stream.time_base
        if time_base is None:
            return False
        target = int((self.start_offset_s + max(position_s, 0.0)) / time_base)
        try:
            self.container.seek(target, stream=self.stream, backward=True)
        except (av.error.FFmpegError, OverflowError, ValueError):
            return False
        return True

    def measure_length(self) -> float:
        """Find where the audio really ends by demuxing (not decoding) the whole stream.

        Used when an excerpt position past the end yielded nothing: the promised duration
        was wrong (a cut file, or an estimate from the bit rate). Costs one pass over the
        packets, far cheaper than decoding them. Leaves the input at its start, with the
        measured length as its (now exact) promise.
        """
        self.length_measured = True
        end_s = 0.0
        if self.seek(0.0):
            try:
                for packet in self.container.demux(self.stream):
                    pts = packet.pts if packet.pts is not None else packet.dts
                    if pts is not None and packet.time_base is not None:
                        end = (pts + (packet.duration or 0)) * packet.time_base
                        end_s = max(end_s, float(end) - self.start_offset_s)
            except (av.error.FFmpegError, ValueError):
                pass  # damaged tail: keep the end found so far
            self.seek(0.0)
        self.promised_s, self.promise_exact = end_s, True
        return end_s

    @property
    def decoded_s(self) -> float:
        """Seconds the decoder has produced so far on this input."""
        return self.decoded_samples / self.info.sample_rate

    def _count_error(self) -> None:
        """Count one undecodable packet; too many (relative to good ones) means corrupt."""
        self.decode_errors += 1
        if self.decode_errors >= _MIN_DECODE_ERRORS and self.decode_errors * 2 > self.good_frames:
            raise self.corrupt()

    def corrupt(self) -> CorruptAudioError:
        """The error for a file whose data cannot be decoded."""
        return CorruptAudioError(
            f"{self.label}: the {self.info.codec} audio data is damaged and cannot be decoded "
            f"({self.decode_errors} bad packets, {self.good_frames} good frames)"
        )

    def check_decoded(self, decoded_s: float, expected_s: float | None) -> None:
        """After reading to the end: raise if nothing, or far too little, came out."""
        if decoded_s <= 0:
            if self.decode_errors >= 2:
                raise self.corrupt()
            if self.decode_errors or (self.promised_s or 0) > 0 or self.demux_error:
                raise self.truncated(0.0)
            raise ZeroLengthAudioError(f"{self.label}: the file contains no audio samples")
        if self.promise_exact and expected_s and decoded_s < TRUNCATED_FRACTION * expected_s:
            if self.decode_errors >= _MIN_DECODE_ERRORS:
                raise self.corrupt()
            raise self.truncated(decoded_s)

    def truncated(self, decoded_s: float, promised_s: float | None = None) -> TruncatedAudioError:
        """The error for a file that ends long before its header says it should."""
        promised_s = promised_s or self.promised_s
        promised = f"{promised_s:.1f} s" if promised_s else "some"
        return TruncatedAudioError(
            f"{self.label}: the file is cut short: only {decoded_s:.1f} s of the "
            f"{promised} of audio its header promises could be decoded"
        )


def _unopenable(label: str, head: bytes, size: int, exc: Exception) -> AudioError:
    """Classify a file FFmpeg cannot open: cut-short or damaged audio, or not audio."""
    kind = _sniff(head)
    if kind is None:
        return NotAudioError(f"{label}: not an audio file (no audio format recognised)")
    if size <= _SMALL_FILE_BYTES:
        return TruncatedAudioError(
            f"{label}: looks like {kind} but holds only {size} bytes: it was cut short"
        )
    return CorruptAudioError(
        f"{label}: looks like {kind} but its structure cannot be read "
        f"(damaged or cut short): {getattr(exc, 'strerror', None) or exc}"
    )


def _audio_stream(container: InputContainer, label: str, size: int) -> AudioStream:
    """Pick the best audio stream, or explain why there is none worth decoding."""
    fmt = container.format.name
    audio = list(container.streams.audio)
    if not audio:
        if fmt in _NOT_AUDIO_DEMUXERS or fmt.endswith("_pipe"):
            raise NotAudioError(f"{label}: not an audio file (it reads as {fmt} data)")
        kinds = ", ".join(sorted({s.type for s in container.streams})) or "none"
        raise NoAudioStreamError(
            f"{label}: the {fmt} file holds no audio stream (streams: {kinds})"
        )
    stream = container.streams.best("audio") or audio[0]
    assert isinstance(stream, AudioStream)
    ctx = stream.codec_context
    if ctx is None or ctx.codec is None:
        raise NotAudioError(f"{label}: its audio codec cannot be decoded")
    if (not ctx.sample_rate or not ctx.channels) and size <= _SMALL_FILE_BYTES:
        raise TruncatedAudioError(
            f"{label}: holds only {size} bytes, not enough for the audio its header announces: "
            "it was cut short"
        )
    if not ctx.sample_rate or not ctx.channels:
        raise CorruptAudioError(
            f"{label}: the audio stream header is damaged (rate {ctx.sample_rate} Hz, "
            f"{ctx.channels} channels)"
        )
    return stream


# --------------------------------------------------------------------------- conversion


_DTYPES: dict[str, type[np.generic]] = {
    "u8": np.uint8,
    "s16": np.int16,
    "s32": np.int32,
    "s64": np.int64,
    "flt": np.float32,
    "dbl": np.float64,
}
"""numpy type of each FFmpeg sample format (planar ones end in 'p')."""

_Piece = tuple[str, int, list[np.ndarray]]
"""A kept slice of one frame: (sample format, channels, arrays).

Planar formats give one ``(n,)`` array per channel; packed formats one interleaved
``(n * channels,)`` array.
"""


@dataclass
class _Pieces:
    """Decoded samples kept as zero-copy views of frame planes, converted in one batch.

    :meth:`av.AudioFrame.to_ndarray` costs ~20 us a frame (it stacks planes); viewing the
    planes with :func:`numpy.frombuffer` costs ~1 us, and converting many frames at once
    keeps numpy's per-call overhead off the hot path. FFmpeg's resampler, asked for a mono
    float downmix, measured ~10x slower than this.
    """

    mono: bool
    channels: int
    pieces: list[_Piece] = field(default_factory=list)
    samples: int = 0

    def add(self, frame: AudioFrame, first: int = 0, stop: int | None = None) -> int:
        """Keep samples ``first:stop`` of ``frame``; return how many were kept."""
        n = frame.samples
        stop = n if stop is None else min(stop, n)
        if stop <= first:
            return 0
        fmt = frame.format
        name = fmt.name
        ch = frame.layout.nb_channels
        dtype = _DTYPES.get(name.removesuffix("p"))
        if dtype is None:  # pragma: no cover - FFmpeg has no other sample formats
            raise CorruptAudioError(f"unsupported sample format {name!r}")
        if fmt.is_planar:
            arrays = [
                np.frombuffer(cast(bytes, plane), dtype, n)[first:stop]
                for plane in frame.planes[:ch]
            ]
        else:
            interleaved = np.frombuffer(cast(bytes, frame.planes[0]), dtype, n * ch)
            arrays = [interleaved[first * ch : stop * ch]]
        self.pieces.append((name, ch, arrays))
        self.samples += stop - first
        return stop - first

    def take(self) -> np.ndarray:
        """Convert and return everything kept so far, and start afresh."""
        pieces, self.pieces, self.samples = self.pieces, [], 0
        if not pieces:
            return _empty(self.mono, self.channels)
        parts: list[np.ndarray] = []
        start = 0
        for i in range(1, len(pieces) + 1):
            if i == len(pieces) or pieces[i][:2] != pieces[start][:2]:
                parts.append(self._convert(pieces[start:i]))
                start = i
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _convert(self, run: list[_Piece]) -> np.ndarray:
        """Convert a run of same-format pieces to float32 ``(n,)`` or ``(n, channels)``."""
        name, ch, _ = run[0]
        if self.mono:
            return _scale_in_place(_mix_pieces(run), name)
        if name.endswith("p"):  # planar: one row per channel
            by_channel = [_join([p[2][c] for p in run]) for c in range(ch)]
        else:
            interleaved = _join([p[2][0] for p in run])
            if not self.mono and ch == self.channels:
                return _to_float(interleaved, name).reshape(-1, ch)
            by_channel = [interleaved[c::ch] for c in range(ch)]
        if self.mono or ch != self.channels:
            mixed = _scale_in_place(_mix(by_channel), name)
            if self.mono:
                return mixed
            return np.repeat(mixed[:, None], self.channels, axis=1)
        out = np.empty((by_channel[0].shape[0], ch), dtype=np.float32)
        for c, row in enumerate(by_channel):
            out[:, c] = _to_float(row, name)
        return out


def _join(arrays: list[np.ndarray]) -> np.ndarray:
    """Concatenate 1-D arrays, without a copy when there is only one."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _mix_pieces(run: list[_Piece]) -> np.ndarray:
    """Mean of the channels of same-format pieces, as one fresh float array.

    Adds each frame's channels straight into the output (one pass over the decoded data,
    no concatenation first): the mono downmix is the hot path of :func:`read_excerpts`.
    """
    name, ch, first_arrays = run[0]
    planar = name.endswith("p")
    dtype = _float_type(first_arrays[0])
    total = sum(arrays[0].shape[0] for _, _, arrays in run) // (1 if planar else ch)
    out = np.empty(total, dtype=dtype)
    pos = 0
    for _, _, arrays in run:
        rows = arrays if planar else [arrays[0][c::ch] for c in range(ch)]
        dst = out[pos : pos + rows[0].shape[0]]
        if ch == 1:
            dst[...] = rows[0]
        else:
            np.add(rows[0], rows[1], out=dst, dtype=dtype)
            for row in rows[2:]:
                np.add(dst, row, out=dst, dtype=dtype)
        pos += dst.shape[0]
    if ch > 1:
        np.multiply(out, 1.0 / ch, out=out)
    return out


def _mix(by_channel: list[np.ndarray]) -> np.ndarray:
    """Mean of the channels' raw samples, as a fresh float array.

    A loop of whole-row additions: an order of magnitude faster than ``mean(axis=0)`` on
    the strided views that packed formats give.
    """
    out: np.ndarray = by_channel[0].astype(_float_type(by_channel[0]))
    for row in by_channel[1:]:
        np.add(out, row, out=out)
    if len(by_channel) > 1:
        np.multiply(out, 1.0 / len(by_channel), out=out)
    return out


def _float_type(raw: np.ndarray) -> type[np.floating]:
    """float64 for double samples (converted once, at the end), float32 for all others."""
    return np.float64 if raw.dtype == np.float64 else np.float32


_INT_SCALE = {"s16": 2.0**-15, "s32": 2.0**-31, "s64": 2.0**-63}


def _scale_in_place(x: np.ndarray, fmt_name: str) -> np.ndarray:
    """Map fresh float samples in the range of ``fmt_name`` to float32 in [-1, 1]."""
    base = fmt_name.removesuffix("p")
    if base == "u8":
        x -= 128.0
        x *= 1.0 / 128.0
    elif base in _INT_SCALE:
        x *= _INT_SCALE[base]
    return x.astype(np.float32, copy=False)


def _to_float(raw: np.ndarray, fmt_name: str) -> np.ndarray:
    """Convert raw samples of FFmpeg sample format ``fmt_name`` to float32 in [-1, 1]."""
    if raw.dtype == np.float32:
        return raw
    return _scale_in_place(raw.astype(_float_type(raw)), fmt_name)


def _empty(mono: bool, channels: int) -> np.ndarray:
    """A zero-length result of the right shape."""
    return np.zeros((0,) if mono else (0, channels), dtype=np.float32)


# --------------------------------------------------------------------------- reading


class _Timeline:
    """Decoded frames paired with their start (seconds from the track start).

    Uses each frame's timestamp, or continues from the previous frame when it has none.
    One frame can be pushed back, so an excerpt that ends inside a frame leaves the rest
    of it to the next excerpt.
    """

    def __init__(self, inp: _Input, from_s: float = 0.0) -> None:
        self._frames = inp.frames()
        self._offset_s = inp.start_offset_s
        self.rate = inp.info.sample_rate
        self._next_s = from_s
        self._pending: tuple[AudioFrame, float] | None = None

    def __iter__(self) -> _Timeline:
        return self

    def __next__(self) -> tuple[AudioFrame, float]:
        if self._pending is not None:
            item, self._pending = self._pending, None
            return item
        frame = next(self._frames)
        t = frame.time
        begin = self._next_s if t is None else t - self._offset_s
        self._next_s = begin + frame.samples / self.rate
        return frame, begin

    def push_back(self, frame: AudioFrame, begin: float) -> None:
        """Make ``frame`` the next item again."""
        self._pending = (frame, begin)


def _collect(timeline: _Timeline, pieces: _Pieces, start_s: float, length_s: float) -> bool:
    """Keep ``length_s`` seconds from ``start_s`` out of ``timeline`` into ``pieces``.

    Frames wholly before ``start_s`` are dropped, the first kept one is trimmed. Returns
    whether the stream ended before the excerpt was complete.
    """
    rate = timeline.rate
    want = round(length_s * rate)
    for frame, begin in timeline:
        if begin + frame.samples / rate <= start_s:
            continue
        first = max(0, round((start_s - begin) * rate))
        stop = first + want - pieces.samples
        pieces.add(frame, first, stop)
        if pieces.samples >= want:
            if stop < frame.samples:
                timeline.push_back(frame, begin)
            return False
    return True


def _window_starts(duration_s: float, excerpt_s: float, count: int) -> list[float]:
    """Starts of ``count`` excerpts centred in equal shares of the track's middle.

    The first and last :data:`EDGE_FRACTION` of the track are left out when the track is long
    enough; the excerpts never overlap.
    """
    edge = min(EDGE_FRACTION * duration_s, max(0.0, (duration_s - count * excerpt_s) / 2))
    share = (duration_s - 2 * edge) / count
    return [edge + (i + 0.5) * share - excerpt_s / 2 for i in range(count)]


class _PastTheEndError(Exception):
    """An excerpt position beyond the real end of the audio yielded nothing."""


def _read_excerpts(inp: _Input, *, excerpt_s: float, count: int, mono: bool) -> Excerpts:
    """Seek to the excerpts when the track is long enough, else read it sequentially.

    If a seek lands past the real end, the header's duration was wrong: the true length is
    measured, a file that holds less than half of what it promised is reported as
    truncated, and otherwise the excerpts are planned again over the true length.
    """
    duration = inp.promised_s
    if duration and duration > count * excerpt_s * SEEK_FACTOR:
        try:
            segments = _read_by_seeking(inp, excerpt_s=excerpt_s, count=count, mono=mono)
        except _PastTheEndError:
            if not inp.length_measured:
                exact = inp.promise_exact
                end = inp.measure_length()
                if exact and end < TRUNCATED_FRACTION * duration:
                    raise inp.truncated(end, promised_s=duration) from None
                return _read_excerpts(inp, excerpt_s=excerpt_s, count=count, mono=mono)
            inp.seek(0.0)  # seeking misleads in this file: read it from the start instead
            segments = None
        if segments is not None:
            return Excerpts(inp.info, inp.info.sample_rate, segments, duration, inp.decoded_s)
    return _read_sequentially(inp, excerpt_s=excerpt_s, count=count, mono=mono)


def _read_by_seeking(
    inp: _Input, *, excerpt_s: float, count: int, mono: bool
) -> list[np.ndarray] | None:
    """Seek to each excerpt and decode it; ``None`` if the format cannot seek at all."""
    assert inp.promised_s is not None
    pieces = _Pieces(mono, inp.info.channels)
    segments: list[np.ndarray] = []
    for i, start in enumerate(_window_starts(inp.promised_s, excerpt_s, count)):
        if not inp.seek(start - _PREROLL_S):
            if i == 0:
                return None
            raise _PastTheEndError
        errors_before = inp.decode_errors
        _collect(_Timeline(inp, start - _PREROLL_S), pieces, start, excerpt_s)
        if not pieces.samples:
            # Nothing but bad packets there: junk, not a file that ends early.
            if inp.decode_errors - errors_before >= 2 or inp.decode_errors >= _MIN_DECODE_ERRORS:
                raise inp.corrupt()
            raise _PastTheEndError
        segments.append(pieces.take())
    return segments


def _read_sequentially(inp: _Input, *, excerpt_s: float, count: int, mono: bool) -> Excerpts:
    """Decode from the start, keeping evenly spread excerpts (or the first ones).

    Stops as soon as the last excerpt is complete, so at most about ``count * excerpt_s``
    seconds are kept even when the track's length is unknown.
    """
    duration = inp.promised_s
    if duration and duration > count * excerpt_s:
        starts = _window_starts(duration, excerpt_s, count)
    else:
        starts = [i * excerpt_s for i in range(count)]
    pieces = _Pieces(mono, inp.info.channels)
    timeline = _Timeline(inp)
    segments: list[np.ndarray] = []
    at_end = False
    already_s = inp.decoded_s  # decoded by an earlier, failed attempt at seeking
    for start in starts:
        at_end = _collect(timeline, pieces, start, excerpt_s)
        if pieces.samples:
            segments.append(pieces.take())
        if at_end:
            break
    read_s = inp.decoded_s - already_s
    if at_end:
        inp.check_decoded(read_s, duration)
        best = read_s
    else:
        best = max(duration or 0.0, read_s)
    return Excerpts(inp.info, inp.info.sample_rate, segments, best, inp.decoded_s)


def _iter_blocks(
    path: str | os.PathLike[str], *, mono: bool, start_s: float, max_seconds: float | None
) -> Iterator[np.ndarray]:
    """The generator behind :func:`iter_blocks` (opens the file on first use)."""
    with _Input.open_path(path) as inp:
        yield from _blocks(inp, mono=mono, start_s=start_s, max_seconds=max_seconds)


def _blocks(
    inp: _Input, *, mono: bool, start_s: float, max_seconds: float | None
) -> Iterator[np.ndarray]:
    """Yield ~1 s float32 blocks from ``start_s``, checking the read once it ends."""
    rate = inp.info.sample_rate
    block = max(1, round(_BLOCK_S * rate))
    limit = None if max_seconds is None else round(max_seconds * rate)
    from_s = 0.0  # if the format cannot seek, frames before start_s are skipped below
    if start_s > 0 and inp.seek(start_s - _PREROLL_S):
        from_s = max(0.0, start_s - _PREROLL_S)
    pieces = _Pieces(mono, inp.info.channels)
    kept = 0
    for frame, begin in _Timeline(inp, from_s):
        if begin + frame.samples / rate <= start_s:
            continue
        first = max(0, round((start_s - begin) * rate))
        room = None if limit is None else limit - kept - pieces.samples
        pieces.add(frame, first, None if room is None else first + room)
        full = limit is not None and kept + pieces.samples >= limit
        if pieces.samples >= block or full:
            kept += pieces.samples
            yield pieces.take()
        if full:
            return
    if pieces.samples:
        kept += pieces.samples
        yield pieces.take()
    expected = None if inp.promised_s is None else inp.promised_s - start_s
    if max_seconds is not None and expected is not None:
        expected = min(expected, max_seconds)
    if start_s == 0 or (expected or 0) > 0:  # (a start past the end simply yields nothing)
        inp.check_decoded(kept / rate, expected)


def _decode_all(inp: _Input, *, mono: bool, max_seconds: float | None) -> np.ndarray:
    """Decode everything (or ``max_seconds``) into one array."""
    blocks = list(_blocks(inp, mono=mono, start_s=0.0, max_seconds=max_seconds))
    if not blocks:
        return _empty(mono, inp.info.channels)
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
