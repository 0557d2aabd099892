"""Every test runs with its own SOUNDPROOF_HOME, so no test reads or writes the user's
databases and caches, and no test sees another's; and with a wide terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from soundproof.config import get_settings


@pytest.fixture(autouse=True)
def soundproof_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh, empty SOUNDPROOF_HOME for this test (settings re-read around it)."""
    home = tmp_path_factory.mktemp("soundproof-home")
    monkeypatch.setenv("SOUNDPROOF_HOME", str(home))
    monkeypatch.delenv("SOUNDPROOF_DATABASE", raising=False)
    # Tables wide enough that no temporary path is folded across lines.
    monkeypatch.setenv("COLUMNS", "400")
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
