"""AI-music detection from the spectral comb that neural upsamplers leave."""

from soundproof.detect.detector import Detector
from soundproof.detect.result import CombExplanation, TrackResult

__all__ = ["CombExplanation", "Detector", "TrackResult"]
