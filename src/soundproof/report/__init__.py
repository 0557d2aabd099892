"""Reports for people and machines (DESIGN.md's interface layer, beside ``cli/``).

* :mod:`~soundproof.report.csv_rows`: ``soundproof scan --format csv``, one streamed row
  per track, safe to open in a spreadsheet.
* :mod:`~soundproof.report.html_report`: ``soundproof scan --html FILE``, a single
  self-contained page with a summary, a sortable and filterable table and, for the
  tracks called ``ai`` or ``uncertain``, the spectrum with the detected comb marked
  (:mod:`~soundproof.report.spectrum_plot`, measured again with the detector's code).

This package may import ``detect``, ``audio`` and ``scan``; nothing below it imports it.
matplotlib is imported only when a plot is drawn.
"""

from soundproof.report.csv_rows import CSV_COLUMNS, safe_cell, write_csv
from soundproof.report.html_report import HtmlReport, ReportWritten
from soundproof.report.plots import DEFAULT_MAX_PLOTS
from soundproof.report.summary import ScanSummary

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_MAX_PLOTS",
    "HtmlReport",
    "ReportWritten",
    "ScanSummary",
    "safe_cell",
    "write_csv",
]
