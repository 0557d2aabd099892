"""Soundproof: open, on-premise audio trust.

The public Python API mirrors the CLI: ``soundproof.detect_file`` answers the same
question as ``soundproof scan`` for one file.
"""

from soundproof.errors import SoundproofError

__version__ = "0.1.0"

__all__ = ["SoundproofError", "__version__"]
