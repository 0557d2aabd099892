"""``--format csv``: the documented columns, complete rows, spreadsheet safety, streaming."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from soundproof.detect.result import CombExplanation, TrackResult
from soundproof.report.band import band_hz
from soundproof.report.csv_rows import CSV_COLUMNS, csv_cells, safe_cell, write_csv

from .factories import HOSTILE_TITLE, row

DOCUMENTED = (
    "path",
    "duration_s",
    "verdict",
    "p_ai",
    "explanation_summary",
    "spacing_hz",
    "upsampling_factor",
    "pitch_ratio",
    "strength_db",
    "band_low_hz",
    "band_high_hz",
    "harmonics",
    "sample_rate",
    "bandwidth_hz",
    "reason",
    "error",
    "title",
    "artist",
    "isrc",
    "source",
    "platform",
    "position",
    "playlist",
    "model_version",
    "analysed_s",
)
"""The README's column list: the CSV must start with exactly these, in this order."""


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_columns_start_with_the_documented_order() -> None:
    assert CSV_COLUMNS[: len(DOCUMENTED)] == DOCUMENTED
    assert len(set(CSV_COLUMNS)) == len(CSV_COLUMNS)


def test_every_row_field_has_a_column() -> None:
    """A field added to the verdict row (or its explanation) can never be dropped by CSV."""
    for name, info in TrackResult.model_fields.items():
        if info.exclude or name == "explanation":
            continue
        assert name in CSV_COLUMNS, name
    flattened = {"summary": "explanation_summary", "band": "band_low_hz"}
    for name in CombExplanation.model_fields:
        column = flattened.get(name, name)
        assert column in CSV_COLUMNS or f"explanation_{name}" in CSV_COLUMNS, name


def test_row_values_and_flattened_explanation() -> None:
    result = row(
        "/music/a.flac",
        "ai",
        0.9412,
        spacing_hz=5514.7,
        band="2-21.8 kHz",
        title="Song",
        position=3,
        source="mix.m3u",
    )
    out = io.StringIO()
    assert write_csv([result], out) == 1
    (parsed,) = parse(out.getvalue())
    assert list(parsed) == list(CSV_COLUMNS)
    assert parsed["path"] == "/music/a.flac"
    assert parsed["verdict"] == "ai"
    assert float(parsed["p_ai"]) == pytest.approx(0.9412)
    assert parsed["explanation_summary"].startswith("spectral peaks every 5514.7 Hz")
    assert float(parsed["spacing_hz"]) == pytest.approx(5514.7)
    assert float(parsed["band_low_hz"]) == 2000.0
    assert float(parsed["band_high_hz"]) == 21800.0
    assert parsed["position"] == "3"
    assert parsed["artist"] == ""  # None is an empty cell
    assert parsed["error"] == ""


def test_error_row_has_empty_explanation_columns() -> None:
    (parsed,) = parse(_csv([row("/music/bad.mp3", "error")]))
    assert parsed["verdict"] == "error"
    assert parsed["error"] == "cannot decode"
    assert parsed["p_ai"] == parsed["explanation_summary"] == parsed["band_low_hz"] == ""


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_cells_are_quoted_for_spreadsheets(prefix: str) -> None:
    payload = f'{prefix}HYPERLINK("http://evil.example","x")'
    (parsed,) = parse(_csv([row(f"{prefix}track.mp3", title=payload, artist=payload)]))
    assert parsed["title"] == "'" + payload
    assert parsed["artist"] == "'" + payload
    assert parsed["path"] == f"'{prefix}track.mp3"


def test_plain_text_and_numbers_are_left_alone() -> None:
    (parsed,) = parse(_csv([row("/music/a.flac", title=HOSTILE_TITLE)]))
    assert parsed["title"] == HOSTILE_TITLE  # commas, quotes: the csv module quotes them
    assert parsed["strength_db"] == "-0.5"  # a negative number is a number, not a formula
    assert safe_cell("a=b") == "a=b"
    assert safe_cell("") == ""


def test_newlines_and_commas_round_trip() -> None:
    title = 'line one\nline two, "quoted"'
    (parsed,) = parse(_csv([row("/music/a b,c.flac", title=title)]))
    assert parsed["title"] == title
    assert parsed["path"] == "/music/a b,c.flac"


def test_header_only_when_there_are_no_rows() -> None:
    assert _csv([]).splitlines() == [",".join(CSV_COLUMNS)]


def test_rows_are_written_and_flushed_as_they_arrive() -> None:
    """Each row is in the stream (flushed) before the next result is even produced."""

    class Stream(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.flushed: list[str] = []

        def flush(self) -> None:
            self.flushed.append(self.getvalue())

    out = Stream()
    seen: list[int] = []

    def results() -> Iterator[TrackResult]:
        for i in range(3):
            seen.append(len(out.flushed[-1].splitlines()) if out.flushed else 0)
            yield row(f"/music/{i}.flac")

    write_csv(results(), out)
    assert seen == [1, 2, 3]  # header, then one more flushed line per row already written
    assert len(out.getvalue().splitlines()) == 4


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("5-16.0 kHz", (5000.0, 16000.0)),
        ("2-21.8 kHz", (2000.0, 21800.0)),
        ("16-21.8 kHz", (16000.0, 21800.0)),
        (None, None),
        ("", None),
        ("somewhere", None),
        ("9-2 kHz", None),
    ],
)
def test_band_labels_parse_to_hz(label: str | None, expected: tuple[float, float] | None) -> None:
    assert band_hz(label) == expected


def test_cells_follow_columns() -> None:
    assert len(csv_cells(row("/a.flac"))) == len(CSV_COLUMNS)


def _csv(results: list[TrackResult]) -> str:
    out = io.StringIO()
    write_csv(results, out)
    return out.getvalue()
