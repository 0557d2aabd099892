"""Soundproof: open, on-premise audio trust.

The public Python API mirrors the CLI: ``soundproof.scan.scan(paths)`` is
``soundproof scan``, and ``soundproof.detect.Detector.load().analyze_path(path)``
answers the same question for one file. This module stays light to import.
"""

from soundproof.errors import SoundproofError

__version__ = "0.1.0"

__all__ = ["SoundproofError", "__version__"]
