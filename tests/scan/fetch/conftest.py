"""Fixtures for the fetcher: a local HTTP server and fetchers with small, fast limits."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from soundproof.scan.fetch.client import Fetcher, FetchOptions
from soundproof.scan.fetch.network import Resolver, system_resolve

from ..local_http import LocalServer

LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)
"""Lets a test reach its own server while every other private address stays refused."""

MakeFetcher = Callable[..., Fetcher]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A running local server; tests add their routes to ``server.routes``."""
    with LocalServer() as running:
        yield running


@pytest.fixture
def make_fetcher(tmp_path: Path) -> Iterator[MakeFetcher]:
    """Build fetchers on a shared cache dir under tmp_path, with quick limits by default.

    Keyword arguments override :class:`FetchOptions` fields; ``resolve`` replaces the
    resolver. Every fetcher made is closed at the end of the test.
    """
    made: list[Fetcher] = []

    def make(resolve: Resolver = system_resolve, **overrides: object) -> Fetcher:
        fields: dict[str, object] = {
            "max_bytes": 1_000_000,
            "connect_timeout_s": 2.0,
            "read_timeout_s": 2.0,
            "deadline_s": 5.0,
            "allowed_networks": LOOPBACK_ONLY,
        }
        fields.update(overrides)
        fetcher = Fetcher(
            FetchOptions(**fields),  # type: ignore[arg-type]
            cache_dir=tmp_path / "fetch-cache",
            resolve=resolve,
        )
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()
