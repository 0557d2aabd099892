"""Expansion of scan arguments into audio sources: order, filtering, missing paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from soundproof.scan.sources import AUDIO_EXTENSIONS, Source, is_audio_name, iter_sources


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A small music library with nesting, non-audio files and mixed-case extensions."""
    root = tmp_path / "lib"
    for rel in (
        "b-album/02.flac",
        "b-album/01.mp3",
        "b-album/cover.jpg",
        "b-album/disc2/01.OGG",
        "a-single.WAV",
        "c/notes.txt",
        "c/deep/er/track.opus",
        "c/deep/er/.hidden.m4a",
        "z.webm",
    ):
        _touch(root / rel)
    return root


def test_directories_expand_recursively_sorted_and_filtered(library: Path) -> None:
    found = [Path(s.path).relative_to(library).as_posix() for s in iter_sources([library])]
    assert found == [
        "a-single.WAV",
        "b-album/01.mp3",
        "b-album/02.flac",
        "b-album/disc2/01.OGG",
        "c/deep/er/.hidden.m4a",
        "c/deep/er/track.opus",
        "z.webm",
    ]


def test_files_are_taken_as_given_whatever_their_extension(library: Path) -> None:
    notes = library / "c" / "notes.txt"
    sources = list(iter_sources([str(notes)]))
    assert sources == [Source(path=str(notes))]


def test_missing_path_becomes_an_error_source_in_place(library: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp3"
    single = library / "a-single.WAV"
    sources = list(iter_sources([single, missing, single]))
    assert [s.path for s in sources] == [str(single), str(missing), str(single)]
    assert sources[0].error is None and sources[2].error is None
    assert sources[1].error is not None and "no such file" in sources[1].error


def test_argument_order_is_kept(library: Path) -> None:
    sources = list(iter_sources([library / "z.webm", library / "b-album"]))
    assert [Path(s.path).name for s in sources] == ["z.webm", "01.mp3", "02.flac", "01.OGG"]


def test_empty_directory_yields_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert list(iter_sources([tmp_path / "empty"])) == []


def test_symlink_loop_does_not_hang(library: Path) -> None:
    os.symlink(library, library / "c" / "loop")
    paths = [s.path for s in iter_sources([library])]
    assert len(paths) == len(set(paths)) == 7


def test_expansion_is_lazy(library: Path) -> None:
    it = iter_sources([library, library / "missing"])
    first = next(it)
    assert first.path.endswith("a-single.WAV")


def test_extension_table() -> None:
    assert {".mp3", ".flac", ".opus", ".webm", ".aiff"} <= AUDIO_EXTENSIONS
    assert is_audio_name("A.MP3") and is_audio_name("x.tar.flac")
    assert not is_audio_name("cover.jpg") and not is_audio_name("mp3")
