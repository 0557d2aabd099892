"""The explanation's band label (``"5-16.0 kHz"``) read back as numbers in Hz.

:func:`soundproof.detect.explain.describe` writes the band where the comb was found as
words for people. CSV readers and the spectrum plots want the two edges as numbers, so
this parses that label rather than changing the verdict contract.
"""

from __future__ import annotations

import re

_BAND = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*kHz\s*$")


def band_hz(label: str | None) -> tuple[float, float] | None:
    """``(low_hz, high_hz)`` of a label such as ``"2-21.8 kHz"``, or None if it is not one."""
    if not label:
        return None
    match = _BAND.match(label)
    if match is None:
        return None
    low, high = (round(float(group) * 1000.0, 3) for group in match.groups())
    if not high > low:
        return None
    return low, high


__all__ = ["band_hz"]
