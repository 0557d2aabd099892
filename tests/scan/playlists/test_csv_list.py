"""CSV track lists: headers, delimiters, BOM, url column, bad headers, streaming."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import first_entries_and_peak, only_error, read


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_metadata_round_trip_with_any_delimiter(music: Path, delimiter: str) -> None:
    rows = [
        ["Title", " ARTIST ", "Path", "ISRC", "notes"],
        ["One More Time", "Daft Punk", "a.wav", "us-rc1-76-07839", "x"],
        ["Song; with, separators", "O'Brien", "b c.wav", "", ""],
        ["", "", "", "", ""],  # blank rows are skipped
        ["Radio", "", "", "", ""],  # neither path nor url
    ]

    def quote(cell: str) -> str:
        return f'"{cell}"' if any(c in cell for c in ",;\t'") else cell

    playlist = music / "list.csv"
    text = "\r\n".join(delimiter.join(quote(c) for c in row) for row in rows) + "\r\n"
    playlist.write_text(text, encoding="utf-8")
    sources = read(playlist)
    assert [(s.path, s.title, s.artist, s.isrc, s.position) for s in sources[:2]] == [
        (str(music / "a.wav"), "One More Time", "Daft Punk", "USRC17607839", 1),
        (str(music / "b c.wav"), "Song; with, separators", "O'Brien", None, 2),
    ]
    assert sources[2].error is not None and "no path or url" in sources[2].error
    assert (sources[2].title, sources[2].position) == ("Radio", 3)
    assert {(s.platform, s.source) for s in sources} == {("csv", str(playlist))}


def test_url_column_bom_and_cp1252(music: Path) -> None:
    playlist = music / "excel.csv"
    playlist.write_bytes(
        b"\xef\xbb\xbfurl;path;title\r\n"
        b"https://cdn.example.org/p.mp3;;Preview\r\n"
        b";a.wav;Local\r\n" + "file.wav;sub/d.wav;Café\r\n".encode("cp1252")
    )
    sources = read(playlist)
    assert [(s.path, s.remote, s.title) for s in sources] == [
        ("https://cdn.example.org/p.mp3", True, "Preview"),
        (str(music / "a.wav"), False, "Local"),
        (str(music / "sub" / "d.wav"), False, "Café"),  # path wins over url
    ]


def test_csv_without_a_location_column_is_one_error(tmp_path: Path) -> None:
    playlist = tmp_path / "bad.csv"
    playlist.write_text("artist,title\nA,B\n", encoding="utf-8")
    message = only_error(read(playlist))
    assert "no 'path' or 'url' column" in message and "artist, title" in message
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    assert "empty" in only_error(read(empty))


def test_a_long_csv_is_streamed(tmp_path: Path) -> None:
    playlist = tmp_path / "long.csv"
    with playlist.open("w", encoding="utf-8") as file:
        file.write("path,title\n")
        file.writelines(f"t{i}.wav,Title {i}\n" for i in range(300_000))
    first, peak = first_entries_and_peak(playlist, 3)
    assert [s.title for s in first] == ["Title 0", "Title 1", "Title 2"]
    assert peak < 1 << 20  # the file is ~6 MB
