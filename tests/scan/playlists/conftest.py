"""Fixtures for the playlist parser tests: every file is written in the test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def music(tmp_path: Path) -> Path:
    """A folder with (fake) tracks ``a.wav``, ``b c.wav`` and ``sub/d.wav``."""
    root = tmp_path / "music"
    (root / "sub").mkdir(parents=True)
    for name in ("a.wav", "b c.wav", "sub/d.wav"):
        (root / name).write_bytes(b"RIFF")
    return root
