"""Fixtures for the CLI tests: a small batch of real audio files, made once per session.

The files come from the demo generator at a short length (fast to make and to analyse):
one "human" and one decoder clip, plus a corrupt file. Tests assert behaviour only
(valid labels, error rows, exit codes), never what the detector decides.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from soundproof.demo import make_demo_set


@pytest.fixture(scope="session")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``human/01-*.flac``, ``ai/01-*.flac`` and ``broken.mp3``."""
    root = tmp_path_factory.mktemp("batch")
    make_demo_set(root, seed=1, duration_s=8.0, n_clips=1)
    return root


@pytest.fixture(scope="session")
def good_files(batch: Path) -> list[Path]:
    """The decodable audio files of :func:`batch`."""
    return sorted([*batch.glob("human/*"), *batch.glob("ai/*")])


@pytest.fixture(scope="session")
def broken_file(batch: Path) -> Path:
    """A file with an audio name and junk inside."""
    return batch / "broken.mp3"
