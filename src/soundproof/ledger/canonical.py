"""Ledger records: one canonical JSON encoding for every kind of entry.

The log stores bytes and hashes them as they are, so verification never re-encodes
anything. The encoding matters for *writers*: the same record must give the same
bytes (hence the same leaf hash) wherever and whenever it is written, so that two
parties can compare a record by its hash. Canonical here means:

* a JSON object with a string ``kind`` (``verdict``, later ``enrollment``,
  ``consent``, ``revocation``, ...), so readers can dispatch without guessing;
* keys sorted, no whitespace (``","`` and ``":"`` separators), UTF-8 without
  ``\\u`` escapes for non-ASCII text;
* no NaN or infinities (not JSON); floats as Python's shortest round-trip repr.

This is deterministic for this implementation, not RFC 8785 (JCS): the two differ
only in exponent spelling of very small or large floats and in the order of keys
outside the Basic Multilingual Plane. Readers must treat stored bytes as the truth.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from soundproof.ledger.errors import LedgerError

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
"""What a record ``kind`` may look like: short, lowercase, dotted or dashed."""


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes (sorted keys, no whitespace, UTF-8).

    Raises :class:`LedgerError` for values JSON cannot hold (NaN, sets, objects).
    """
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"cannot encode the record as JSON: {exc}") from None
    return text.encode("utf-8")


def encode_record(kind: str, fields: Mapping[str, Any]) -> bytes:
    """A ledger record of ``kind`` with ``fields``, as canonical JSON bytes."""
    if not KIND_PATTERN.match(kind):
        raise LedgerError(f"bad record kind {kind!r}: lowercase letters, digits, '_', '.', '-'")
    if "kind" in fields and fields["kind"] != kind:
        raise LedgerError(f"record fields carry kind {fields['kind']!r}, not {kind!r}")
    return canonical_json({**fields, "kind": kind})


def decode_record(data: bytes) -> dict[str, Any]:
    """The record in ``data`` (a JSON object with a string ``kind``), or LedgerError."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise LedgerError("the entry is not a JSON record") from None
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
        raise LedgerError("the entry is not a record (a JSON object with a 'kind')")
    return value


__all__ = ["KIND_PATTERN", "canonical_json", "decode_record", "encode_record"]
