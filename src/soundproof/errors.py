"""The one exception family of Soundproof.

Every error a user can cause derives from :class:`SoundproofError`; its message is
written for the user, so interfaces print it as is (no traceback unless asked).
"""

from __future__ import annotations


class SoundproofError(Exception):
    """Base of every error whose message is meant for the user."""


class UsageError(SoundproofError):
    """The request itself is wrong: bad option, missing path, unknown name."""


class AudioError(SoundproofError):
    """The input could not be used as audio."""


class EmptyFileError(AudioError):
    """The file has zero bytes."""


class NotAudioError(AudioError):
    """The file is not an audio container that can be decoded (text, image, junk)."""


class CorruptAudioError(AudioError):
    """The container was recognised but its audio data could not be decoded."""


class TruncatedAudioError(AudioError):
    """The file ends before its header says it should, leaving too little audio."""


class NoAudioStreamError(AudioError):
    """The container holds no audio stream (a video-only or metadata-only file)."""


class ZeroLengthAudioError(AudioError):
    """The container decodes to zero samples."""


class SilentAudioError(AudioError):
    """The audio holds only digital silence, so there is nothing to analyse."""


class FetchError(SoundproofError):
    """A URL could not be downloaded: refused by policy or a limit, or the server failed."""


class ModelError(SoundproofError):
    """A shipped or trained model is missing, corrupt or of an unknown version."""


class TrainingError(SoundproofError):
    """Training data or the training environment is unusable."""
