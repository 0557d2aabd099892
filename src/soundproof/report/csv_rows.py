"""Verdict rows as CSV: one line per track, for spreadsheets and scripts.

The columns are the JSONL row's top-level fields, with the ``explanation`` object
flattened into a few scalar columns (``explanation_summary``, ``spacing_hz``, the band's
edges in Hz, ...). Their order is :data:`CSV_COLUMNS`, documented in the README and only
ever extended at the end: a field added to :class:`~soundproof.detect.result.TrackResult`
(or to its explanation) later and not listed here is appended automatically, so no field
is ever silently dropped. Readers should still pick columns by header name.

Two choices protect the people who open the file in a spreadsheet:

* **Formula injection.** A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return would be run as a formula by Excel, LibreOffice or Google Sheets.
  Titles and paths come from files and playlists that an attacker may control, so such a
  cell gets a leading ``'`` (the spreadsheet convention for "this is text"). Numbers are
  written by Soundproof itself and are left alone (``-3.2`` is a number, not a formula).
* **Streaming.** Rows are written and flushed as they arrive, like the JSONL writer, so a
  long scan can be followed (``tail -f``) and a pipeline can consume it as it runs.

The file is RFC 4180 CSV in UTF-8: CRLF line ends, cells quoted by the :mod:`csv` module
where needed (commas, quotes, line breaks); ``None`` is an empty cell and booleans are
``true``/``false``, as in JSON.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from soundproof.detect.result import CombExplanation, TrackResult
from soundproof.report.band import band_hz

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a cell as a formula."""

EXPLANATION_COLUMNS: dict[str, str] = {
    "explanation_summary": "summary",
    "spacing_hz": "spacing_hz",
    "upsampling_factor": "upsampling_factor",
    "pitch_ratio": "pitch_ratio",
    "strength_db": "strength_db",
    "band_low_hz": "band",
    "band_high_hz": "band",
    "harmonics": "harmonics",
    "sample_rate": "sample_rate",
    "bandwidth_hz": "bandwidth_hz",
    "reason": "reason",
}
"""Flattened explanation columns, and the explanation field each one comes from."""

_LEADING = ("path", "duration_s", "verdict", "p_ai")
_TRAILING = ("error", *TrackResult.METADATA_FIELDS, "model_version", "analysed_s")


def _exported_fields(model: type[Any]) -> list[str]:
    """The fields a model serialises (those marked ``exclude=True`` are not row data)."""
    return [name for name, info in model.model_fields.items() if not info.exclude]


def _columns() -> tuple[str, ...]:
    """The documented columns, then any row or explanation field added since."""
    listed = (*_LEADING, *EXPLANATION_COLUMNS, *_TRAILING)
    known_top = {*_LEADING, *_TRAILING, "explanation"}
    known_explanation = set(EXPLANATION_COLUMNS.values())
    extra_top = [f for f in _exported_fields(TrackResult) if f not in known_top]
    extra_explanation = [
        f"explanation_{f}" for f in _exported_fields(CombExplanation) if f not in known_explanation
    ]
    return (*listed, *extra_top, *extra_explanation)


CSV_COLUMNS: tuple[str, ...] = _columns()
"""Every column, in output order (the header line)."""


def safe_cell(text: str) -> str:
    """``text``, prefixed with ``'`` if a spreadsheet would otherwise run it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _cell(value: Any) -> str:
    """One value as CSV text: empty for None, JSON spelling for booleans and containers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return safe_cell(value)
    return safe_cell(json.dumps(value, ensure_ascii=False, sort_keys=True))


def csv_cells(result: TrackResult) -> list[str]:
    """The cells of one row, in :data:`CSV_COLUMNS` order."""
    row = result.to_json_dict()
    explanation: dict[str, Any] = row.get("explanation") or {}
    band = band_hz(explanation.get("band"))
    cells: list[str] = []
    for column in CSV_COLUMNS:
        if column == "band_low_hz":
            value = band[0] if band else None
        elif column == "band_high_hz":
            value = band[1] if band else None
        elif column in EXPLANATION_COLUMNS:
            value = explanation.get(EXPLANATION_COLUMNS[column])
        elif column in row:
            value = row[column]
        else:  # an explanation field added after this list was written
            value = explanation.get(column.removeprefix("explanation_"))
        cells.append(_cell(value))
    return cells


def write_csv(results: Iterable[TrackResult], out: IO[str]) -> int:
    """Write the header, then one flushed line per result; return the number of rows.

    Lines end in CRLF, as RFC 4180 says; that also makes the :mod:`csv` module quote any
    cell holding a lone carriage return, which readers would otherwise take for a line end.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    out.flush()
    count = 0
    for result in results:
        writer.writerow(csv_cells(result))
        out.flush()
        count += 1
    return count


__all__ = [
    "CSV_COLUMNS",
    "EXPLANATION_COLUMNS",
    "FORMULA_PREFIXES",
    "csv_cells",
    "safe_cell",
    "write_csv",
]
