"""Durable state: SQLite under ``SOUNDPROOF_HOME`` by default, PostgreSQL by URL.

A foundation layer (DESIGN.md): the analyses never touch it; ``scan`` uses it to
remember finished verdicts, later layers (ledger, identity) keep their own tables.
"""

from soundproof.store.engine import make_engine
from soundproof.store.results import ResultStore, StoreError

__all__ = ["ResultStore", "StoreError", "make_engine"]
