"""Attestations: claims from scan rows, offline verification, and every way it can fail."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

from soundproof.config import get_settings
from soundproof.ledger import Ledger, build_jwks, parse_jwks
from soundproof.ledger.attestation import (
    ATTESTATION_TYPE,
    REQUIRED_CLAIMS,
    attestation_claims,
    sign_attestation,
    verdict_record,
    verify_attestation,
)
from soundproof.ledger.canonical import decode_record
from soundproof.ledger.errors import (
    BadSignatureError,
    InclusionError,
    InvalidClaimError,
    LedgerError,
    MalformedAttestationError,
    MissingClaimError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
    WrongTypeError,
)
from soundproof.ledger.keyring import KeyRing
from soundproof.ledger.keys import SigningKey
from soundproof.ledger.merkle import InclusionProof
from soundproof.ledger.store import LogEntry

ROW = {
    "path": "/music/private/track.flac",
    "verdict": "ai",
    "p_ai": 0.97,
    "model_version": "comb-logistic-1.1",
    "content_hash": "ab" * 32,
    "title": "Song",
}
ENTRY = LogEntry(index=41, leaf_hash=bytes(range(32)))


def _claims(**changes: Any) -> dict[str, Any]:
    claims = attestation_claims(
        ROW, issuer="example.com/soundproof", origin="example.com/log", entry=ENTRY
    )
    claims.update(changes)
    return claims


def _b64(value: Any) -> str:
    raw = json.dumps(value).encode() if not isinstance(value, bytes) else value
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_claims_from_a_scan_row() -> None:
    moment = dt.datetime(2025, 3, 1, 12, 0, 0, 999, tzinfo=dt.UTC)
    claims = attestation_claims(
        ROW, issuer="iss.example", origin="example.com/log", entry=ENTRY, issued_at=moment
    )
    assert claims == {
        "iss": "iss.example",
        "iat": int(dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC).timestamp()),
        "content_hash": "ab" * 32,
        "verdict": "ai",
        "p_ai": 0.97,
        "model_version": "comb-logistic-1.1",
        "log_origin": "example.com/log",
        "log_index": 41,
        "leaf_hash": bytes(range(32)).hex(),
    }
    record = verdict_record(ROW, at=moment)
    assert record == (
        b'{"content_hash":"' + b"ab" * 32 + b'","kind":"verdict","model_version":'
        b'"comb-logistic-1.1","p_ai":0.97,"time":"2025-03-01T12:00:00Z","verdict":"ai"}'
    )
    assert "path" not in decode_record(record)  # the log may be published: no local paths


def test_claims_from_a_track_result() -> None:
    from soundproof.detect.result import TrackResult

    row = TrackResult(
        path="x.flac", verdict="human", p_ai=0.02, model_version="m", content_hash="cd" * 32
    )
    claims = attestation_claims(row.model_dump(), issuer="i", origin="o.example/l", entry=ENTRY)
    assert claims["verdict"] == "human" and claims["content_hash"] == "cd" * 32


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"content_hash": None}, "content_hash"),
        ({"content_hash": "AB" * 32}, "content_hash"),
        ({"verdict": "maybe"}, "verdict"),
        ({"p_ai": 1.5}, r"\[0, 1\]"),
        ({"p_ai": float("nan")}, r"\[0, 1\]"),
        ({"p_ai": True}, "number"),
        ({"model_version": 3}, "model_version"),
    ],
)
def test_unusable_rows_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(LedgerError, match=message):
        attestation_claims({**ROW, **change}, issuer="i", origin="o.example/l", entry=ENTRY)


def test_sign_and_verify_offline() -> None:
    key = SigningKey.generate()
    token = sign_attestation(_claims(), key)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "Ed25519", "kid": key.kid, "typ": ATTESTATION_TYPE}
    keys = parse_jwks(json.loads(json.dumps(build_jwks([key.public]))))
    verified = verify_attestation(token, keys, issuer="example.com/soundproof")
    assert verified.claims == _claims() | {"iat": verified.claims["iat"]}
    assert verified.kid == key.kid and not verified.included


def test_failures_are_typed_and_named() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    keys = [key.public]
    token = sign_attestation(_claims(), key)
    head, payload, signature = token.split(".")

    with pytest.raises(UnknownKeyError, match=other.kid):
        verify_attestation(sign_attestation(_claims(), other), keys)
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    with pytest.raises(BadSignatureError):
        verify_attestation(f"{head}.{flipped}.{signature}", keys)
    with pytest.raises(BadSignatureError):
        verify_attestation(f"{head}.{payload}.{_b64(bytes(64))}", keys)
    with pytest.raises(MalformedAttestationError):
        verify_attestation("not-a-token", keys)
    with pytest.raises(MalformedAttestationError):
        verify_attestation(f"{head}.{payload}", keys)
    with pytest.raises(MalformedAttestationError):
        verify_attestation(f"%%%.{payload}.{signature}", keys)

    def with_header(header: dict[str, Any]) -> str:
        return f"{_b64(header)}.{payload}.{signature}"

    base = {"alg": "Ed25519", "kid": key.kid, "typ": ATTESTATION_TYPE}
    for alg in ["EdDSA", "none", "HS256", "ES256", None]:
        with pytest.raises(UnsupportedAlgorithmError):
            verify_attestation(with_header({**base, "alg": alg}), keys)
    with pytest.raises(WrongTypeError):
        verify_attestation(with_header({**base, "typ": "JWT"}), keys)
    with pytest.raises(UnknownKeyError, match="no kid"):
        verify_attestation(with_header({k: v for k, v in base.items() if k != "kid"}), keys)


def test_a_valid_eddsa_signature_is_still_refused() -> None:
    """RFC 9864: the polymorphic EdDSA is deprecated; only the fully specified name counts."""
    key = SigningKey.generate()
    header = {"alg": "EdDSA", "kid": key.kid, "typ": ATTESTATION_TYPE}
    bare = OKPKey.import_key(key.private_pem())  # no "alg" pinned on the key
    with pytest.warns(SecurityWarning):  # joserfc itself warns: EdDSA is deprecated
        token = jws.serialize_compact(
            header, json.dumps(_claims()).encode(), bare, algorithms=["EdDSA"]
        )
    with pytest.raises(UnsupportedAlgorithmError, match="EdDSA"):
        verify_attestation(token, [key.public])


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_every_required_claim_is_required(claim: str) -> None:
    key = SigningKey.generate()
    claims = _claims()
    del claims[claim]
    with pytest.raises(MissingClaimError) as caught:
        verify_attestation(sign_attestation(claims, key), [key.public])
    assert caught.value.claim == claim


@pytest.mark.parametrize(
    ("change", "claim"),
    [
        ({"iss": ""}, "iss"),
        ({"iat": "yesterday"}, "iat"),
        ({"iat": int(time.time()) + 3600}, "iat"),
        ({"exp": int(time.time()) - 3600}, "exp"),
        ({"nbf": int(time.time()) + 3600}, "nbf"),
        ({"content_hash": "x" * 64}, "content_hash"),
        ({"leaf_hash": "00"}, "leaf_hash"),
        ({"verdict": "fake"}, "verdict"),
        ({"p_ai": -0.1}, "p_ai"),
        ({"p_ai": "0.5"}, "p_ai"),
        ({"model_version": 1}, "model_version"),
        ({"log_origin": "has space"}, "log_origin"),
        ({"log_index": -1}, "log_index"),
        ({"log_index": 1.5}, "log_index"),
    ],
)
def test_invalid_claims(change: dict[str, Any], claim: str) -> None:
    key = SigningKey.generate()
    with pytest.raises(InvalidClaimError) as caught:
        verify_attestation(sign_attestation(_claims(**change), key), [key.public])
    assert caught.value.claim == claim


def test_issuer_is_checked_when_asked() -> None:
    key = SigningKey.generate()
    token = sign_attestation(_claims(), key)
    with pytest.raises(InvalidClaimError, match="expected issuer"):
        verify_attestation(token, [key.public], issuer="someone.else")


def test_attestation_with_an_inclusion_proof(tmp_path: Path) -> None:
    KeyRing.from_settings(get_settings()).generate()
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}", origin="example.com/log") as ledger:
        ledger.append_many([b"before %d" % i for i in range(10)])
        attestation = ledger.attest_verdict(ROW)
        ledger.append_many([b"after %d" % i for i in range(5)])
        ledger.checkpoint()
        proof = ledger.prove(attestation.entry.index, checkpoint=True)
        keys = ledger.public_keys()
        assert attestation.claims["log_index"] == 10
        entry = decode_record(ledger.leaf(10).data)
        assert entry["kind"] == "verdict" and entry["content_hash"] == ROW["content_hash"]
    bundle = InclusionProof.from_json(json.loads(json.dumps(proof.to_json())))
    verified = verify_attestation(attestation.token, keys, proof=bundle)
    assert verified.included and verified.checkpoint is not None
    assert verified.checkpoint.size == 16

    other_entry = InclusionProof.from_json({**proof.to_json(), "index": 9})
    with pytest.raises(InclusionError, match="leaf 9"):
        verify_attestation(attestation.token, keys, proof=other_entry)
    altered_path = InclusionProof.from_json(
        {**proof.to_json(), "hashes": ["00" * 32, *proof.to_json()["hashes"][1:]]}
    )
    with pytest.raises(InclusionError, match="not in the signed log"):
        verify_attestation(attestation.token, keys, proof=altered_path)
    unsigned = InclusionProof.from_json(
        {k: v for k, v in proof.to_json().items() if k != "checkpoint"}
    )
    with pytest.raises(InclusionError, match="no signed checkpoint"):
        verify_attestation(attestation.token, keys, proof=unsigned)
    stranger = SigningKey.generate()
    with pytest.raises(InclusionError, match="checkpoint did not verify"):
        # the token's key is trusted, the checkpoint's is not
        verify_attestation(
            sign_attestation(attestation.claims, stranger), [stranger.public], proof=bundle
        )


def test_rotation_keeps_old_attestations_and_checkpoints_valid(tmp_path: Path) -> None:
    ring = KeyRing.from_settings(get_settings())
    first = ring.generate()
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        old = ledger.attest_verdict(ROW)
        old_checkpoint = ledger.checkpoint()
        second, _ = ring.rotate()
        new = ledger.attest_verdict({**ROW, "verdict": "uncertain", "p_ai": 0.5})
        new_checkpoint = ledger.checkpoint()
        report = ledger.verify()
        assert report.ok, report.problems
        assert report.checkpoints_checked == 2
        keys = parse_jwks(build_jwks(ledger.public_keys()))
    header = json.loads(base64.urlsafe_b64decode(new.token.split(".")[0] + "=="))
    assert header["kid"] == second.kid != first.kid
    assert verify_attestation(old.token, keys).kid == first.kid
    assert verify_attestation(new.token, keys).kid == second.kid
    assert old_checkpoint.note.split("\n\n")[1] != new_checkpoint.note.split("\n\n")[1]
    # Without the retired key, the old token no longer verifies: it really is needed.
    with pytest.raises(UnknownKeyError):
        verify_attestation(old.token, [k for k in keys if k.kid == second.kid])
