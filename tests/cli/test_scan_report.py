"""``soundproof scan --format csv`` and ``--html``, end to end on generated audio files.

Like the other CLI tests these assert behaviour, never what the detector decides: the
exit code must agree with the verdicts found, and the report must hold one spectrum per
track that the scan called ai or uncertain with a probability.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from soundproof.cli.main import app, run_scan
from soundproof.report import CSV_COLUMNS, DEFAULT_MAX_PLOTS

HOSTILE = "<script>alert(1)</script>"


def invoke(*args: str | Path) -> Any:
    """Run ``soundproof scan`` in-process, one worker, no progress line."""
    argv = ["scan", *(str(a) for a in args), "--workers", "1", "--no-progress"]
    return CliRunner().invoke(app, argv)


def flagged(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows that deserve a spectrum plot."""
    return [r for r in rows if r["verdict"] in {"ai", "uncertain"} and r["p_ai"] not in ("", None)]


def test_csv_and_html_with_fail_on(batch: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    files = [*sorted(batch.rglob("*.flac")), batch / "broken.mp3"]
    result = invoke(*files, "--format", "csv", "--html", html, "--fail-on", "ai")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["path"] for r in rows] == [str(f) for f in files]  # input order, one row each
    assert list(rows[0]) == list(CSV_COLUMNS)
    verdicts = [r["verdict"] for r in rows]
    assert verdicts[-1] == "error"
    assert result.exit_code == (1 if "ai" in verdicts else 0), result.output
    assert f"wrote {html}" in result.stderr

    page = html.read_text(encoding="utf-8")
    for path in files:
        assert str(path) in page
    assert page.count('<tr data-verdict="') == len(files)
    plotted = re.findall(r'<article class="plot" id="plot-(\d+)">(.*?)</article>', page, re.S)
    assert len(plotted) == len(flagged(rows))
    assert all("<svg" in body for _, body in plotted)  # the files are still there to read


def test_jsonl_to_a_file_and_html_without_fail_on(batch: Path, tmp_path: Path) -> None:
    html, out = tmp_path / "r.html", tmp_path / "rows.jsonl"
    result = invoke(batch, "--format", "jsonl", "-o", out, "--html", html, "--html-plots", "0")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    page = html.read_text(encoding="utf-8")
    assert page.count('<tr data-verdict="') == len(rows) == 3
    assert '<article class="plot"' not in page
    if flagged(rows):
        assert f"{len(flagged(rows))} more flagged tracks are not plotted" in page


def test_table_with_html_and_a_hostile_playlist_title(batch: Path, tmp_path: Path) -> None:
    track = next(batch.glob("ai/*.flac"))
    playlist = tmp_path / "list.m3u"
    playlist.write_text(f"#EXTM3U\n#EXTINF:8,Mallory - {HOSTILE}\n{track}\n", encoding="utf-8")
    html = tmp_path / "r.html"
    result = invoke(playlist, "--html", html)
    assert result.exit_code == 0, result.output
    assert str(track) in result.stdout  # the table still prints
    page = html.read_text(encoding="utf-8")
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unwritable_html_target_fails_before_scanning(batch: Path, tmp_path: Path) -> None:
    result = invoke(batch, "--format", "csv", "--html", tmp_path / "no" / "report.html")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot write the HTML report")
    assert result.stdout == ""  # nothing was scanned


def test_html_plots_default_matches_the_report_default() -> None:
    default = inspect.signature(run_scan).parameters["html_plots"].default
    assert default == DEFAULT_MAX_PLOTS
