"""``soundproof scan --html FILE``: collect the rows of a scan, then write the report.

:class:`HtmlReport` sits beside whatever prints the rows: :meth:`HtmlReport.collect`
passes each row through unchanged (so the CSV or JSONL output still streams) and keeps
it. When the scan is over, :meth:`HtmlReport.write` measures the spectra of the flagged
tracks, renders the page and writes it.

Memory: the report keeps every row (about 2 kB each), so it is meant for scans of up to
about 100,000 tracks; a bigger catalogue is better served by ``--format csv`` or
``jsonl``, which stream.

Writing is atomic: the page goes to a temporary file in the target folder, which is then
renamed over ``FILE``, so a reader (or a browser that reloads) never sees half a report
and an old report is only replaced by a complete new one. Whether ``FILE`` can be
written is checked *before* the scan starts, so a long scan does not end in a failure to
save its result.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from soundproof.detect.result import TrackResult
from soundproof.errors import UsageError
from soundproof.report.plots import DEFAULT_MAX_PLOTS, Measure, build_plots


@dataclass(frozen=True)
class ReportWritten:
    """What :meth:`HtmlReport.write` produced."""

    path: Path
    rows: int
    plots: int
    """Tracks with a spectrum plot."""
    notes: int
    """Flagged tracks that got a note instead (URL, unreadable file)."""


def check_writable(path: Path) -> None:
    """Raise :class:`UsageError` unless a file can be created at ``path``."""
    if path.is_dir():
        raise UsageError(f"cannot write the HTML report to {path}: it is a folder")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write the HTML report to {path}: no folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write the HTML report to {path}: {folder} is not writable")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to a temporary file beside ``path``, then rename it there.

    The file gets the permissions a plain ``open()`` would give it (0666 less the umask),
    not the 0600 of a temporary file: a report is meant to be shared.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class HtmlReport:
    """The HTML report of one scan: rows in as they come, one page out at the end.

    >>> report = HtmlReport(Path("report.html"), inputs=2)   # doctest: +SKIP
    >>> for row in report.collect(scan(paths)): ...          # doctest: +SKIP
    >>> report.write()                                       # doctest: +SKIP
    """

    def __init__(
        self,
        path: Path,
        *,
        inputs: int,
        detector_path: Path | None = None,
        max_plots: int = DEFAULT_MAX_PLOTS,
        measure: Measure | None = None,
    ) -> None:
        """Prepare a report at ``path`` (checked writable now) for a scan of ``inputs`` paths.

        ``detector_path`` is the model the scan used, ``max_plots`` caps the spectrum
        plots, and ``measure`` replaces the re-reading of files (tests).
        """
        check_writable(path)
        self.path = path
        self.inputs = inputs
        self.detector_path = detector_path
        self.max_plots = max_plots
        self.measure = measure
        self.rows: list[TrackResult] = []
        self.started_at = datetime.now().astimezone()
        self._started = time.perf_counter()
        self._elapsed: float | None = None

    def collect(self, results: Iterable[TrackResult]) -> Generator[TrackResult, None, None]:
        """Yield every result unchanged, keeping it for the report; the scan ends with it."""
        for result in results:
            self.rows.append(result)
            yield result
        self._elapsed = time.perf_counter() - self._started

    @property
    def elapsed_s(self) -> float:
        """Seconds the scan took (until now, if it has not finished)."""
        if self._elapsed is not None:
            return self._elapsed
        return time.perf_counter() - self._started

    def write(self) -> ReportWritten:
        """Measure and plot the flagged tracks, render the page and write it atomically."""
        from soundproof.report.html_page import render_page
        from soundproof.report.summary import ScanSummary

        summary = ScanSummary.from_rows(
            self.rows,
            inputs=self.inputs,
            elapsed_s=self.elapsed_s,
            started_at=self.started_at,
        )
        plots = build_plots(
            self.rows,
            detector_path=self.detector_path,
            max_plots=self.max_plots,
            measure=self.measure,
        )
        try:
            write_text_atomic(self.path, render_page(summary, self.rows, plots))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise UsageError(f"cannot write the HTML report to {self.path}: {reason}") from None
        drawn = sum(1 for entry in plots.entries if entry.svg is not None)
        return ReportWritten(
            path=self.path,
            rows=len(self.rows),
            plots=drawn,
            notes=len(plots.entries) - drawn,
        )


__all__ = ["HtmlReport", "ReportWritten", "check_writable", "write_text_atomic"]
