"""Canonical JSON records: the same record always gives the same bytes."""

from __future__ import annotations

import pytest

from soundproof.ledger.canonical import canonical_json, decode_record, encode_record
from soundproof.ledger.errors import LedgerError


def test_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": [True, None, 0.5], "é": "ü"}) == (
        '{"a":[true,null,0.5],"b":1,"é":"ü"}'.encode()
    )
    assert canonical_json({"z": {"y": 1, "x": 2}}) == b'{"z":{"x":2,"y":1}}'


def test_records_carry_their_kind() -> None:
    record = encode_record("consent", {"subject": "s-1", "granted": True})
    assert record == b'{"granted":true,"kind":"consent","subject":"s-1"}'
    assert decode_record(record) == {"granted": True, "kind": "consent", "subject": "s-1"}
    assert encode_record("consent", {"kind": "consent"}) == b'{"kind":"consent"}'


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("Consent", {}),
        ("", {}),
        ("has space", {}),
        ("consent", {"kind": "revocation"}),
        ("consent", {"x": float("nan")}),
        ("consent", {"x": {1, 2}}),
    ],
)
def test_bad_records_are_refused(kind: str, fields: dict[str, object]) -> None:
    with pytest.raises(LedgerError):
        encode_record(kind, fields)


@pytest.mark.parametrize("data", [b"\xff", b"[1]", b'{"kind": 3}', b"plain text"])
def test_entries_that_are_not_records(data: bytes) -> None:
    with pytest.raises(LedgerError):
        decode_record(data)
