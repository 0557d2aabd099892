"""Numba, set up once for the detector's few compiled loops.

Compiled code is cached on disk so that a scan worker loads it instead of compiling
it again (seconds per process). Numba caches next to the module (``__pycache__``);
when the package is installed read-only it needs a directory of its own, taken from
NUMBA_CACHE_DIR, which is pointed at the user's cache unless already set.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])


def _choose_cache_dir() -> None:
    if "NUMBA_CACHE_DIR" in os.environ or os.access(Path(__file__).parent, os.W_OK):
        return
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    os.environ["NUMBA_CACHE_DIR"] = str(Path(base) / "soundproof" / "numba")


_choose_cache_dir()

import numba  # noqa: E402  (NUMBA_CACHE_DIR must be set before the import)


def compiled(function: F) -> F:
    """Compile ``function`` to machine code on first call (cached on disk, GIL released)."""
    return cast(F, numba.njit(cache=True, nogil=True)(function))


def inlined(function: F) -> F:
    """A helper that compiled functions inline (it is never called from Python)."""
    return cast(F, numba.njit(inline="always")(function))
