"""How scan results are shown: a readable table, or JSON lines or CSV for machines.

The JSONL writer streams (one flushed line per track, as it finishes), so a pipeline can
consume a long scan as it runs. The table needs every row to size its columns, so it
keeps only the few strings it prints per row, not the results themselves.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from soundproof.detect.result import TrackResult

VERDICTS: tuple[str, ...] = ("ai", "human", "uncertain", "error")
"""Every verdict label, in the order summaries list them."""

VERDICT_STYLES: dict[str, str] = {
    "ai": "bold red",
    "human": "green",
    "uncertain": "yellow",
    "error": "magenta",
}


@dataclass
class Tally:
    """Counts per verdict and the wall time of a scan, for the summary line and exit code."""

    counts: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.perf_counter)
    remembered: int = 0
    signed: int = 0
    last_log_index: int | None = None

    def add(self, result: TrackResult) -> None:
        """Count one row."""
        self.counts[result.verdict] += 1
        self.remembered += result.from_cache
        if result.log_index is not None:
            self.signed += 1
            self.last_log_index = result.log_index

    @property
    def total(self) -> int:
        """Rows seen."""
        return sum(self.counts.values())

    @property
    def usable(self) -> int:
        """Rows that got a verdict (anything but ``error``)."""
        return self.total - self.counts["error"]

    def summary(self) -> str:
        """One line: ``12 tracks: 3 ai, 8 human, 0 uncertain, 1 error in 4.2 s (5 remembered)``.

        "Remembered" rows came from the results store (unchanged bytes, same model).
        """
        elapsed = time.perf_counter() - self.started
        parts = ", ".join(f"{self.counts[label]} {label}" for label in VERDICTS)
        noun = "track" if self.total == 1 else "tracks"
        line = f"{self.total} {noun}: {parts} in {elapsed:.1f} s"
        return f"{line} ({self.remembered} remembered)" if self.remembered else line


def write_jsonl(results: Iterable[TrackResult], out: IO[str], tally: Tally) -> None:
    """Write one :meth:`TrackResult.to_json_dict` per line, flushing each line."""
    for result in results:
        tally.add(result)
        out.write(json.dumps(result.to_json_dict(), ensure_ascii=False) + "\n")
        out.flush()


def write_csv(results: Iterable[TrackResult], out: IO[str], tally: Tally) -> None:
    """Write a CSV header, then one flushed line per track (:mod:`soundproof.report.csv_rows`)."""
    from soundproof.report.csv_rows import write_csv as write_csv_rows

    write_csv_rows(_tallied(results, tally), out)


def _tallied(results: Iterable[TrackResult], tally: Tally) -> Iterator[TrackResult]:
    """Pass every result through, counting it."""
    for result in results:
        tally.add(result)
        yield result


def format_duration(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``), or an em dash when unknown."""
    if seconds is None:
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _row(result: TrackResult) -> tuple[str, str, str, str, str]:
    """The five strings one table row shows."""
    p_ai = "—" if result.p_ai is None else f"{result.p_ai:.2f}"
    if result.verdict == "error":
        detail = result.error or "unknown error"
        # The path is in its own column; don't repeat it at the start of the message.
        detail = detail.removeprefix(f"{result.path}: ")
    elif result.explanation is not None:
        detail = result.explanation.summary
    else:
        detail = ""
    return result.path, result.verdict, p_ai, detail, format_duration(result.duration_s)


def render_table(results: Iterable[TrackResult], console: Console, tally: Tally) -> None:
    """Print every row as a rich table: path, coloured verdict, p_ai, why, duration."""
    rows = []
    for result in results:
        tally.add(result)
        rows.append(_row(result))
    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    # Paths stay whole (people copy them) as long as they leave the explanation some room.
    longest = max((len(row[0]) for row in rows), default=4)
    table.add_column("path", overflow="fold", min_width=min(longest, console.width // 2))
    table.add_column("verdict", no_wrap=True)
    table.add_column("p_ai", justify="right", no_wrap=True)
    table.add_column("explanation", overflow="fold")
    table.add_column("duration", justify="right", no_wrap=True)
    for path, verdict, p_ai, detail, duration in rows:
        style = VERDICT_STYLES.get(verdict, "")
        table.add_row(
            Text(path),
            Text(verdict, style=style),
            Text(p_ai),
            Text(detail, style="dim" if verdict == "error" else ""),
            Text(duration),
        )
    if rows:
        console.print(table)


__all__ = ["VERDICTS", "Tally", "format_duration", "render_table", "write_csv", "write_jsonl"]
