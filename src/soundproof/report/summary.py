"""The figures at the top of a report: how many tracks got which verdict, when, with what.

Computed from the rows themselves (not from the CLI's tally), so the Python API and the
CLI produce the same summary for the same rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import get_args

from soundproof.detect.result import TrackResult, VerdictLabel

VERDICTS: tuple[str, ...] = get_args(VerdictLabel)
"""Every verdict label, in the order reports list them (ai, human, uncertain, error)."""


@dataclass(frozen=True)
class ScanSummary:
    """Counts per verdict and the context of one scan."""

    counts: dict[str, int]
    """Rows per verdict, every label present (zero when none)."""
    inputs: int
    """PATH arguments given to the scan (files, folders, playlists)."""
    elapsed_s: float
    """Wall time of the scan itself, in seconds (the report's own work not included)."""
    started_at: datetime
    """When the scan started, with the local time zone."""
    model_versions: tuple[str, ...]
    """Distinct model versions that decided the rows (normally one)."""

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[TrackResult],
        *,
        inputs: int,
        elapsed_s: float,
        started_at: datetime,
    ) -> ScanSummary:
        """Summarise ``rows``."""
        counts: Counter[str] = Counter()
        versions: dict[str, None] = {}
        for row in rows:
            counts[row.verdict] += 1
            if row.model_version:
                versions.setdefault(row.model_version)
        return cls(
            counts={label: counts[label] for label in VERDICTS},
            inputs=inputs,
            elapsed_s=elapsed_s,
            started_at=started_at,
            model_versions=tuple(versions),
        )

    @property
    def total(self) -> int:
        """Rows in the report."""
        return sum(self.counts.values())

    @property
    def analysed(self) -> int:
        """Rows that got a verdict (anything but ``error``)."""
        return self.total - self.counts["error"]

    @property
    def share_ai(self) -> float | None:
        """Fraction of the analysed tracks called ``ai``; None when none was analysed."""
        return self.counts["ai"] / self.analysed if self.analysed else None


def format_elapsed(seconds: float) -> str:
    """``4.2 s``, ``3 min 12 s`` or ``2 h 05 min``: a duration for people."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs} s"


__all__ = ["VERDICTS", "ScanSummary", "format_elapsed"]
