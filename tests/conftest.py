"""Every test runs with its own SOUNDPROOF_HOME, so no test reads or writes the user's
databases, ledger, keys and caches, and no test sees another's; and with a wide terminal."""

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
    # Nothing may reach the user's databases, ledger or signing keys.
    for name in (
        "SOUNDPROOF_DATABASE",
        "SOUNDPROOF_LEDGER_DATABASE",
        "SOUNDPROOF_LEDGER_ORIGIN",
        "SOUNDPROOF_LEDGER_ISSUER",
        "SOUNDPROOF_SIGNING_KEY",
        "SOUNDPROOF_SIGNING_KEY_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    # Tables wide enough that no temporary path is folded across lines.
    monkeypatch.setenv("COLUMNS", "400")
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
