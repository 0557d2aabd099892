"""PLS: keys, titles, NumberOfEntries, layouts, streaming."""

from __future__ import annotations

from pathlib import Path

from soundproof.scan.playlists import pls

from .helpers import first_entries_and_peak, only_error, read


def test_pls_metadata_round_trip(music: Path) -> None:
    playlist = music / "radio.pls"
    playlist.write_text(
        "[playlist]\r\n"
        "NumberOfEntries=3\r\n"
        "File1=a.wav\r\n"
        "Title1=Daft Punk - One More Time\r\n"
        "Length1=320\r\n"
        "; a comment\r\n"
        "file2=sub\\d.wav\r\n"  # keys are case-insensitive; a Windows separator
        "TITLE2=Just a title\r\n"
        "File3=http://radio.example.org:8000/stream\r\n"
        "Title3=Some Radio\r\n"
        "Length3=-1\r\n"
        "Version=2\r\n",
        encoding="utf-8",
    )
    sources = read(playlist)
    assert [(s.path, s.title, s.artist, s.position) for s in sources] == [
        (str(music / "a.wav"), "One More Time", "Daft Punk", 1),
        (str(music / "sub" / "d.wav"), "Just a title", None, 2),
        ("http://radio.example.org:8000/stream", "Some Radio", None, 3),
    ]
    assert [s.remote for s in sources] == [False, False, True]
    assert {(s.platform, s.source, s.error) for s in sources} == {("pls", str(playlist), None)}


def test_titles_listed_after_all_files_still_attach(tmp_path: Path) -> None:
    playlist = tmp_path / "bykey.pls"
    playlist.write_text(
        "[playlist]\nFile1=a.wav\nFile2=b.wav\nTitle2=Two\nTitle1=One\n", encoding="utf-8"
    )
    assert [s.title for s in read(playlist)] == ["One", "Two"]


def test_missing_section_and_truncated_files_are_reported(tmp_path: Path) -> None:
    not_pls = tmp_path / "notes.pls"
    not_pls.write_text("File1=a.wav\nhello\n", encoding="utf-8")
    assert "no [playlist] section" in only_error(read(not_pls))

    cut = tmp_path / "cut.pls"
    cut.write_text("[playlist]\nNumberOfEntries=3\nFile1=a.wav\nFile2=b.wav\n", encoding="utf-8")
    sources = read(cut)
    assert [s.position for s in sources[:2]] == [1, 2]
    assert sources[2].path == str(cut)
    assert sources[2].error is not None and "NumberOfEntries is 3" in sources[2].error


def test_garbage_lines_inside_the_section_are_skipped(tmp_path: Path) -> None:
    playlist = tmp_path / "odd.pls"
    playlist.write_text(
        "[playlist]\nno equals sign\nFileX=nope\nTitle9=orphan title\nFile1=a.wav\n",
        encoding="utf-8",
    )
    assert [s.path for s in read(playlist)] == [str(tmp_path / "a.wav")]


def test_a_long_pls_is_streamed(tmp_path: Path) -> None:
    playlist = tmp_path / "long.pls"
    with playlist.open("w", encoding="utf-8") as file:
        file.write("[playlist]\n")
        file.writelines(f"File{i}=t{i}.wav\nTitle{i}=A - T{i}\n" for i in range(1, 200_001))
    first, peak = first_entries_and_peak(playlist, 3)
    assert [s.title for s in first] == ["T1", "T2", "T3"]
    assert peak < 1 << 20  # the file is ~6 MB
    assert pls.WINDOW < 1000
