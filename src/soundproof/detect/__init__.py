"""AI-music detection from the spectral comb that neural upsamplers leave.

`Detector` is imported on first use: it pulls in the compiled comb search (Numba),
which a process that only handles result rows (a scan's parent) need not load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from soundproof.detect.result import CombExplanation, TrackResult

if TYPE_CHECKING:
    from soundproof.detect.detector import Detector

__all__ = ["CombExplanation", "Detector", "TrackResult"]


def __getattr__(name: str) -> Any:
    if name == "Detector":
        from soundproof.detect.detector import Detector

        return Detector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
