"""``--html``: the page's summary, rows, escaping, plots and notes, and how it is written."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from soundproof.detect.result import TrackResult
from soundproof.errors import AudioError, UsageError
from soundproof.report import HtmlReport
from soundproof.report.html_page import load_asset
from soundproof.report.html_report import write_text_atomic
from soundproof.report.plots import Measure, plot_candidates
from soundproof.report.spectrum_plot import TrackSpectrum
from soundproof.report.summary import ScanSummary, format_elapsed

from .factories import HOSTILE_TITLE, fake_spectrum, row


class PageParser(HTMLParser):
    """Collects what the tests look for: table rows, plot articles, scripts, links."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str | None]] = []
        self.articles: list[str] = []
        self.svgs = 0
        self.scripts = 0
        self.external: list[str] = []
        self.in_body = False
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tbody":
            self.in_body = True
        if tag == "tr" and self.in_body:
            self.rows.append(attributes)
        if tag == "article":
            self.articles.append(attributes.get("id") or "")
        if tag == "svg":
            self.svgs += 1
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href"):
            value = attributes.get(name)
            if value and not value.startswith("#"):
                self.external.append(value)
        if "id" in attributes:
            self.ids.append(attributes["id"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.in_body = False


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    return parser


def spectra(paths: dict[str, TrackSpectrum | Exception]) -> Measure:
    """A ``measure`` stand-in: a spectrum, or an error, per path."""

    def measure(path: str) -> TrackSpectrum:
        found = paths.get(path, fake_spectrum())
        if isinstance(found, Exception):
            raise found
        return found

    return measure


def write_report(
    tmp_path: Path,
    rows: list[TrackResult],
    *,
    max_plots: int = 200,
    measure: Measure | None = None,
) -> str:
    target = tmp_path / "report.html"
    report = HtmlReport(target, inputs=2, max_plots=max_plots, measure=measure or spectra({}))
    assert list(report.collect(iter(rows))) == rows  # rows pass through unchanged
    written = report.write()
    assert written.path == target and written.rows == len(rows)
    return target.read_text(encoding="utf-8")


@pytest.fixture
def mixed_rows(tmp_path: Path) -> list[TrackResult]:
    return [
        row(tmp_path / "a.flac", "ai", 0.97, title=HOSTILE_TITLE, artist="Mallory"),
        row(tmp_path / "b.flac", "human", 0.05),
        row(tmp_path / "c.flac", "uncertain", 0.55),
        row(tmp_path / "d.flac", "uncertain", None, spacing_hz=None, reason="too short"),
        row(tmp_path / "e.mp3", "error"),
        row("https://cdn.example/preview.mp3", "ai", 0.91),
        row(tmp_path / "gone.flac", "ai", 0.88),
    ]


def test_summary_counts_and_context(tmp_path: Path, mixed_rows: list[TrackResult]) -> None:
    page = write_report(tmp_path, mixed_rows)
    summary = re.search(r'<dl class="cards" id="summary">(.*?)</dl>', page, re.S)
    assert summary is not None
    cards = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", summary.group(1)))
    assert cards["tracks"] == "7"
    assert (cards["ai"], cards["human"], cards["uncertain"], cards["error"]) == ("3", "1", "2", "1")
    assert cards["called AI (of 6 analysed)"] == "50.0%"
    assert cards["model"] == "test-model-1"
    assert cards["inputs (paths given)"] == "2"
    assert re.fullmatch(r"\d+\.\d s", cards["scan time"])
    assert cards["date"].startswith(datetime.now().astimezone().strftime("%Y-%m-%d"))


def test_every_row_is_in_the_table_and_hostile_text_is_escaped(
    tmp_path: Path, mixed_rows: list[TrackResult]
) -> None:
    page = write_report(tmp_path, mixed_rows)
    parsed = parse(page)
    assert [r["data-verdict"] for r in parsed.rows] == [r.verdict for r in mixed_rows]
    for result in mixed_rows:
        assert result.path in page
    assert HOSTILE_TITLE not in page
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page
    assert parsed.scripts == 1  # only the page's own script


def test_one_plot_per_flagged_track_and_notes_for_the_rest(
    tmp_path: Path, mixed_rows: list[TrackResult]
) -> None:
    gone = str(tmp_path / "gone.flac")
    measure = spectra({gone: AudioError(f"{gone}: no such file")})
    page = write_report(tmp_path, mixed_rows, measure=measure)
    parsed = parse(page)
    # ai/uncertain rows with a probability, most likely first: a, remote, gone, c.
    assert parsed.articles == ["plot-1", "plot-6", "plot-7", "plot-3"]
    assert parsed.svgs == 2  # a.flac and c.flac; the URL and the vanished file get notes
    assert "reports never download" in page
    assert "the file could not be read again" in page and "no such file" in page
    articles = re.findall(r'<article class="plot" id="(plot-\d+)">(.*?)</article>', page, re.S)
    with_svg = [anchor for anchor, body in articles if "<svg" in body]
    assert with_svg == ["plot-1", "plot-3"]
    for anchor in ("plot-1", "plot-3", "plot-6", "plot-7"):
        assert f'href="#{anchor}"' in page  # linked from the table


def test_plot_cap_keeps_the_most_likely(tmp_path: Path) -> None:
    rows = [row(tmp_path / f"{i}.flac", "ai", 0.80 + i / 100) for i in range(5)]
    page = write_report(tmp_path, rows, max_plots=2)
    assert parse(page).articles == ["plot-5", "plot-4"]
    assert "3 more flagged tracks are not plotted" in page


def test_nothing_to_plot_reads_no_file(tmp_path: Path) -> None:
    def measure(path: str) -> TrackSpectrum:
        raise AssertionError("no file should be read")

    page = write_report(tmp_path, [row(tmp_path / "a.flac")], measure=measure)
    assert "No track was called ai or uncertain" in page


def test_an_unexpected_plot_failure_is_a_note_not_a_crash(tmp_path: Path) -> None:
    broken = TrackSpectrum(
        sample_rate=44_100,
        freqs=fake_spectrum().freqs,
        power_db=fake_spectrum().power_db[:10],  # shapes that do not match
        residual_db=fake_spectrum().residual_db,
        bandwidth_hz=20_000.0,
        strongest_band=None,
        strongest_spacing_hz=None,
    )
    path = str(tmp_path / "a.flac")
    page = write_report(tmp_path, [row(path, "ai", 0.9)], measure=spectra({path: broken}))
    assert "plotting failed" in page


def test_page_is_self_contained_and_pins_its_script(
    tmp_path: Path, mixed_rows: list[TrackResult]
) -> None:
    page = write_report(tmp_path, mixed_rows)
    parsed = parse(page)
    assert parsed.external == []  # no src= or href= leaving the page
    assert not re.search(r"url\((?!#)|@import|<link|<img[^>]+src=\"http", page)
    script = load_asset("report.js")
    assert f"<script>{script}</script>" in page
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page
    assert "default-src 'none'" in page
    assert len(parsed.ids) == len(set(parsed.ids))  # no id collides, across plots too


def test_the_page_is_written_atomically_with_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old report")
    old_umask = os.umask(0o022)
    try:
        write_text_atomic(target, "<!DOCTYPE html>new")
    finally:
        os.umask(old_umask)
    assert target.read_text() == "<!DOCTYPE html>new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left


def test_an_unwritable_target_is_refused_before_the_scan(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no folder"):
        HtmlReport(tmp_path / "missing" / "report.html", inputs=1)
    with pytest.raises(UsageError, match="it is a folder"):
        HtmlReport(tmp_path, inputs=1)


def test_summary_of_no_rows() -> None:
    summary = ScanSummary.from_rows(
        [], inputs=1, elapsed_s=0.5, started_at=datetime.now().astimezone()
    )
    assert summary.total == 0 and summary.share_ai is None
    assert format_elapsed(0.5) == "0.5 s"
    assert format_elapsed(192) == "3 min 12 s"
    assert format_elapsed(7500) == "2 h 05 min"


def test_candidates_need_a_probability(tmp_path: Path) -> None:
    rows = [
        row(tmp_path / "a", "uncertain", None),
        row(tmp_path / "b", "ai", 0.8),
        row(tmp_path / "c", "uncertain", 0.6),
        row(tmp_path / "d", "human", 0.1),
    ]
    assert plot_candidates(rows) == [1, 2]
