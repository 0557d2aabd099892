"""The HTML report page: summary, sortable and filterable table, and spectrum plots.

One self-contained file that opens offline: the stylesheet and script (package data under
``report/assets/``) and the plots (inline SVG) are all inside it; nothing is fetched.
A Content-Security-Policy forbids any other source outright and lets only the page's own
script run (pinned by its SHA-256), which also stops a hostile title from running code
even if escaping were ever missed.

Every string that comes from outside (paths, titles, artists, playlist names, error
messages) is HTML-escaped with :func:`html.escape` when it is written; nothing is built
by the script from strings. The table is plain server-side HTML, so it is complete with
JavaScript off; the script only reorders and hides rows.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from functools import cache
from html import escape
from importlib import resources

from soundproof import __version__
from soundproof.detect.result import TrackResult
from soundproof.report.plots import PlotEntry, PlotSection
from soundproof.report.summary import VERDICTS, ScanSummary, format_elapsed

PAGE_TITLE = "Soundproof scan report"


@cache
def load_asset(name: str) -> str:
    """The text of ``soundproof/report/assets/<name>`` (shipped as package data)."""
    return resources.files("soundproof.report").joinpath("assets", name).read_text("utf-8")


def content_security_policy(script: str) -> str:
    """A policy allowing only inline styles, data: images and exactly ``script``."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; "
        f"script-src 'sha256-{digest}'; "
        "style-src 'unsafe-inline'; "
        "img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def _attr(value: object) -> str:
    """A value for a double-quoted HTML attribute."""
    return escape(str(value), quote=True)


def _text(value: object) -> str:
    """A value as HTML text."""
    return escape(str(value), quote=False)


def _duration(seconds: float | None) -> str:
    """``m:ss`` or ``h:mm:ss``, or an empty string when unknown."""
    if seconds is None:
        return ""
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _why(row: TrackResult) -> str:
    """The row's explanation in words, or its error message."""
    if row.verdict == "error":
        return (row.error or "unknown error").removeprefix(f"{row.path}: ")
    if row.explanation is None:
        return ""
    summary = row.explanation.summary
    reason = row.explanation.reason
    return f"{summary} ({reason})" if reason and reason not in summary else summary


def _track_name(row: TrackResult) -> str:
    """``Artist – Title`` where the playlist gave them, else empty."""
    parts = [part for part in (row.artist, row.title) if part]
    return " – ".join(parts)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _card(label: str, value: str, css: str = "") -> str:
    return f'<div class="card {css}"><dt>{_text(label)}</dt><dd>{_text(value)}</dd></div>'


def summary_html(summary: ScanSummary) -> str:
    """The cards at the top: counts per verdict, share called AI, time, model, date, inputs."""
    share = summary.share_ai
    share_text = "—" if share is None else f"{100 * share:.1f}%"
    analysed = f"of {summary.analysed} analysed"
    cards = [_card("tracks", str(summary.total))]
    cards += [_card(label, str(summary.counts[label]), label) for label in VERDICTS]
    cards += [
        _card(f"called AI ({analysed})", share_text, "ai"),
        _card("scan time", format_elapsed(summary.elapsed_s), "small"),
        _card("model", ", ".join(summary.model_versions) or "—", "small"),
        _card("date", summary.started_at.strftime("%Y-%m-%d %H:%M %z").strip(), "small"),
        _card("inputs (paths given)", str(summary.inputs), "small"),
    ]
    return f'<dl class="cards" id="summary">{"".join(cards)}</dl>'


COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("#", "number", ""),
    ("track", "text", ""),
    ("verdict", "text", ""),
    ("p_ai", "number", "descending"),
    ("explanation", "text", ""),
    ("duration", "number", ""),
    ("source", "text", ""),
    ("spectrum", "text", ""),
)
"""Table columns: header, sort type, first sort direction when clicked (default ascending)."""


def _header() -> str:
    cells = []
    for name, kind, first in COLUMNS:
        first_attr = f' data-first="{first}"' if first else ""
        cells.append(
            f'<th scope="col" data-type="{kind}"{first_attr} aria-sort="none">'
            f'<button type="button">{_text(name)}</button></th>'
        )
    return f"<thead><tr>{''.join(cells)}</tr></thead>"


def _row(number: int, row: TrackResult, plot: PlotEntry | None) -> str:
    """One ``<tr>``; ``number`` is the 1-based scan position (also the plot's anchor)."""
    name = _track_name(row)
    track = (f'<span class="title">{_text(name)}</span>' if name else "") + (
        f'<span class="path">{_text(row.path)}</span>'
    )
    p_ai = "" if row.p_ai is None else f"{row.p_ai:.2f}"
    p_sort = "" if row.p_ai is None else repr(row.p_ai)
    duration_sort = "" if row.duration_s is None else repr(row.duration_s)
    source = row.source or ""
    if source and row.position is not None:
        source = f"{source} #{row.position}"
    if row.playlist:
        source = f"{source} ({row.playlist})" if source else row.playlist
    spectrum = ""
    if plot is not None:
        label = "plot" if plot.svg is not None else "note"
        spectrum = f'<a href="#plot-{number}">{label}</a>'
    why_class = "why error" if row.verdict == "error" else "why"
    return (
        f'<tr data-verdict="{_attr(row.verdict)}">'
        f'<td class="num">{number}</td>'
        f'<td class="track" data-sort="{_attr(name or row.path)}">{track}</td>'
        f'<td><span class="badge {_attr(row.verdict)}">{_text(row.verdict)}</span></td>'
        f'<td class="num" data-sort="{p_sort}">{p_ai}</td>'
        f'<td class="{why_class}">{_text(_why(row))}</td>'
        f'<td class="num" data-sort="{duration_sort}">{_duration(row.duration_s)}</td>'
        f"<td>{_text(source)}</td>"
        f"<td>{spectrum}</td>"
        "</tr>"
    )


def table_html(rows: Sequence[TrackResult], plots: PlotSection, summary: ScanSummary) -> str:
    """The filter controls and the table of every row, in scan order."""
    by_index = {entry.index: entry for entry in plots.entries}
    boxes = "".join(
        f'<label><input type="checkbox" name="verdict" value="{label}" checked> '
        f"{label} ({summary.counts[label]})</label>"
        for label in VERDICTS
    )
    controls = (
        '<div class="controls">'
        '<input type="search" id="filter" placeholder="Filter: path, title, artist, explanation…"'
        ' aria-label="Filter the tracks">'
        f"<fieldset><legend>verdict</legend>{boxes}</fieldset>"
        f'<span id="shown" class="hint">{len(rows)} of {len(rows)} shown</span>'
        "</div>"
    )
    body = "".join(_row(i + 1, row, by_index.get(i)) for i, row in enumerate(rows))
    hint = (
        '<p class="hint">Click a column header to sort (again to reverse). '
        "<noscript>Sorting and filtering need JavaScript; the table is complete "
        "without it.</noscript></p>"
    )
    return (
        f'{controls}<div class="table-wrap"><table id="tracks-table">'
        f"{_header()}<tbody>{body}</tbody></table></div>{hint}"
    )


def _comb_facts(row: TrackResult) -> str:
    """The comb's numbers in one line, where the row has them."""
    e = row.explanation
    if e is None or e.spacing_hz is None:
        return ""
    facts = [f"spacing {e.spacing_hz:.1f} Hz"]
    if e.upsampling_factor is not None and e.sample_rate is not None:
        facts.append(f"x{e.upsampling_factor} at {e.sample_rate / 1000:g} kHz")
    if e.band:
        facts.append(f"band {e.band}")
    if e.harmonics is not None:
        facts.append(f"{e.harmonics} teeth")
    if e.strength_db is not None:
        facts.append(f"{e.strength_db:.1f} dB above the floor")
    return f'<p class="hint">{_text(", ".join(facts))}</p>'


def _plot_article(entry: PlotEntry) -> str:
    row = entry.result
    number = entry.index + 1
    name = _track_name(row) or row.path.rsplit("/", 1)[-1]
    p_ai = "" if row.p_ai is None else f" p_ai {row.p_ai:.2f}"
    figure = (
        f'<figure aria-label="spectrum of track {number}">{entry.svg}</figure>'
        if entry.svg is not None
        else f'<p class="note">{_text(entry.note or "no spectrum")}</p>'
    )
    return (
        f'<article class="plot" id="plot-{number}">'
        f"<h3>#{number} {_text(name)}</h3>"
        f'<p class="path">{_text(row.path)}</p>'
        f'<p><span class="badge {_attr(row.verdict)}">{_text(row.verdict)}</span>{p_ai}</p>'
        f'<p class="why">{_text(_why(row))}</p>'
        f"{_comb_facts(row)}{figure}</article>"
    )


def plots_html(plots: PlotSection) -> str:
    """The spectrum of every plotted track, most likely first, with its explanation."""
    if plots.candidates == 0:
        return '<p class="hint">No track was called ai or uncertain with a probability.</p>'
    intro = (
        '<p class="hint">For each track called <b>ai</b> or <b>uncertain</b>, most likely '
        "first: the average spectrum of the excerpts the detector read (band of the comb "
        "shaded), and below it the residual above the spectrum's floor with a dashed line "
        "at every multiple of the comb's spacing. A neural upsampler's comb shows as "
        "peaks standing on the dashed lines.</p>"
    )
    left_out = plots.candidates - len(plots.entries)
    if left_out > 0:
        intro += (
            f'<p class="note">{left_out} more flagged tracks are not plotted: the report '
            f"plots at most {plots.max_plots} (change it with --html-plots).</p>"
        )
    articles = "".join(_plot_article(entry) for entry in plots.entries)
    return f'{intro}<div class="plots">{articles}</div>'


def render_page(summary: ScanSummary, rows: Sequence[TrackResult], plots: PlotSection) -> str:
    """The whole HTML document."""
    css = load_asset("report.css")
    script = load_asset("report.js")
    date = summary.started_at.strftime("%Y-%m-%d %H:%M")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(script)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="soundproof">'
        f"<title>{_text(PAGE_TITLE)} {_text(date)}</title>"
        f"<style>{css}</style></head>\n<body>"
        f"<header><h1>{_text(PAGE_TITLE)}</h1>"
        f'<p class="meta">{_plural(summary.total, "track")} from '
        f"{_plural(summary.inputs, 'input')}, scanned {_text(date)}. "
        '<a href="#tracks">Tracks</a> · <a href="#spectra">Spectra</a></p>'
        f"{summary_html(summary)}</header>\n"
        f'<main><section id="tracks"><h2>Tracks</h2>{table_html(rows, plots, summary)}</section>\n'
        f'<section id="spectra"><h2>Spectra of flagged tracks</h2>{plots_html(plots)}</section>'
        "</main>\n"
        f"<footer>Soundproof {_text(__version__)}. A self-contained page: it loads nothing "
        "from the network.</footer>\n"
        f"<script>{script}</script>\n</body></html>\n"
    )


__all__ = [
    "COLUMNS",
    "PAGE_TITLE",
    "content_security_policy",
    "load_asset",
    "plots_html",
    "render_page",
    "summary_html",
    "table_html",
]
