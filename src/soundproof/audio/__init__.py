"""Audio I/O foundation: streaming decode of any common format, and in-memory encode.

Everything is PyAV (FFmpeg's libraries); nothing shells out. Decoded samples are float32 in
[-1, 1] at the file's native rate. See :mod:`soundproof.audio.decode` and
:mod:`soundproof.audio.encode` for the details and the errors raised.
"""

from soundproof.audio.decode import (
    SILENCE_DBFS,
    AudioInfo,
    Excerpts,
    decode_bytes,
    ensure_audible,
    iter_blocks,
    load,
    probe,
    read_excerpts,
)
from soundproof.audio.encode import FORMATS, SUFFIXES, encode, roundtrip, write
from soundproof.audio.hashing import file_sha256

__all__ = [
    "FORMATS",
    "SILENCE_DBFS",
    "SUFFIXES",
    "AudioInfo",
    "Excerpts",
    "decode_bytes",
    "encode",
    "ensure_audible",
    "file_sha256",
    "iter_blocks",
    "load",
    "probe",
    "read_excerpts",
    "roundtrip",
    "write",
]
