"""Signed attestations of scan verdicts: compact JWS (JWT) with ``alg`` Ed25519.

An attestation says "issuer ``iss`` saw audio with SHA-256 ``content_hash`` and model
``model_version`` called it ``verdict`` with probability ``p_ai``, at time ``iat``, and
logged it as entry ``log_index`` of log ``log_origin``, whose leaf hash is
``leaf_hash``". The leaf hash binds the token to one exact log entry: with an
inclusion proof to a signed checkpoint, anyone can check that the verdict was
logged, not just signed.

Header: ``alg`` is ``Ed25519``, the fully specified name of RFC 9864 (the polymorphic
``EdDSA`` is refused), ``kid`` is the RFC 7638 thumbprint of the signing key, ``typ``
is ``soundproof-attestation+jwt``. Signing and signature checking are ``joserfc``'s;
this module decides what is required and says precisely what failed, each failure a
subclass of :class:`~soundproof.ledger.errors.AttestationError`.

Verification is offline: it needs the token and the issuer's public keys (a JWKS),
never the database. This module must not import the ledger's storage, nor scan or
detect: a verdict row comes in as a plain mapping (``TrackResult.model_dump()``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from joserfc import jwt
from joserfc.errors import BadSignatureError as JoseBadSignature
from joserfc.errors import JoseError

from soundproof.ledger.canonical import encode_record
from soundproof.ledger.checkpoint import Checkpoint, check_origin, open_checkpoint_with_keys
from soundproof.ledger.errors import (
    AttestationError,
    BadSignatureError,
    CheckpointError,
    InclusionError,
    InvalidClaimError,
    LedgerError,
    MalformedAttestationError,
    MissingClaimError,
    NoteError,
    ProofError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
    WrongTypeError,
)
from soundproof.ledger.keys import ALGORITHM, PublicKey, SigningKey
from soundproof.ledger.merkle import InclusionProof, verify_inclusion

ATTESTATION_TYPE = "soundproof-attestation+jwt"
"""The ``typ`` header of every attestation."""

VERDICT_KIND = "verdict"
"""The ``kind`` of the ledger record behind an attestation."""

VERDICTS = frozenset({"ai", "human", "uncertain", "error"})

REQUIRED_CLAIMS = (
    "iss",
    "iat",
    "content_hash",
    "verdict",
    "p_ai",
    "model_version",
    "log_origin",
    "log_index",
    "leaf_hash",
)
"""Claims every attestation carries (``p_ai`` and ``model_version`` may be null)."""

CLOCK_SKEW_S = 300
"""Seconds an ``iat`` may lie in the future (clocks differ), and ``exp`` may be past."""

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class LoggedEntry(Protocol):
    """What an attestation needs of a log entry (``store.LogEntry`` has it)."""

    @property
    def index(self) -> int: ...

    @property
    def leaf_hash(self) -> bytes: ...


def _utc_seconds(moment: dt.datetime | None) -> dt.datetime:
    moment = moment or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        raise LedgerError("attestation times must be timezone-aware")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def rfc3339(moment: dt.datetime) -> str:
    """``2025-01-31T12:00:00Z``: UTC, whole seconds."""
    return _utc_seconds(moment).isoformat().replace("+00:00", "Z")


def verdict_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """The attested fields of a scan row, checked: content_hash, verdict, p_ai, model_version.

    ``row`` is any mapping with those keys, e.g. ``TrackResult.model_dump()``. Paths and
    playlist metadata are left out on purpose: the log may be published.
    """
    content_hash = row.get("content_hash")
    if not isinstance(content_hash, str) or not _HEX64.match(content_hash):
        raise LedgerError("a verdict needs the content_hash (64 lowercase hex) of the audio")
    verdict = row.get("verdict")
    if verdict not in VERDICTS:
        raise LedgerError(f"bad verdict {verdict!r}: one of {', '.join(sorted(VERDICTS))}")
    p_ai = row.get("p_ai")
    if p_ai is not None:
        if isinstance(p_ai, bool) or not isinstance(p_ai, int | float):
            raise LedgerError(f"p_ai must be a number or null, not {type(p_ai).__name__}")
        if not math.isfinite(p_ai) or not 0.0 <= p_ai <= 1.0:
            raise LedgerError(f"p_ai must lie in [0, 1], not {p_ai}")
        p_ai = float(p_ai)
    model_version = row.get("model_version")
    if model_version is not None and not isinstance(model_version, str):
        raise LedgerError("model_version must be a string or null")
    return {
        "content_hash": content_hash,
        "verdict": verdict,
        "p_ai": p_ai,
        "model_version": model_version,
    }


def verdict_record(row: Mapping[str, Any], *, at: dt.datetime | None = None) -> bytes:
    """The ledger entry for a verdict: canonical JSON of kind ``verdict``, with its ``time``.

    ``at`` (default: now) is written as RFC 3339 UTC; pass the attestation's ``iat``
    moment so that record and token tell the same time.
    """
    fields = verdict_fields(row)
    return encode_record(VERDICT_KIND, {**fields, "time": rfc3339(_utc_seconds(at))})


def attestation_claims(
    row: Mapping[str, Any],
    *,
    issuer: str,
    origin: str,
    entry: LoggedEntry,
    issued_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The JWT claims attesting ``row``, logged as ``entry`` in the log ``origin``."""
    if not issuer:
        raise LedgerError("an attestation needs an issuer")
    return {
        "iss": issuer,
        "iat": int(_utc_seconds(issued_at).timestamp()),
        **verdict_fields(row),
        "log_origin": check_origin(origin),
        "log_index": entry.index,
        "leaf_hash": entry.leaf_hash.hex(),
    }


def sign_attestation(claims: Mapping[str, Any], key: SigningKey) -> str:
    """The compact JWS of ``claims`` signed by ``key`` (header: alg, kid, typ)."""
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": ATTESTATION_TYPE}
    return jwt.encode(header, dict(claims), key.okp(), algorithms=[ALGORITHM])


@dataclass(frozen=True)
class VerifiedAttestation:
    """A token that verified: its claims, the key that signed it, and what was proven."""

    claims: dict[str, Any]
    header: dict[str, Any]
    kid: str
    checkpoint: Checkpoint | None = None

    @property
    def included(self) -> bool:
        """Whether an inclusion proof to a signed checkpoint was checked too."""
        return self.checkpoint is not None


def _b64url_json(segment: str, what: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise MalformedAttestationError(f"the token's {what} is not base64url JSON") from None


def read_header(token: str) -> dict[str, Any]:
    """The unverified JOSE header of ``token`` (to pick the key); checks alg and typ."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise MalformedAttestationError("not a compact JWS (header.payload.signature)")
    header = _b64url_json(parts[0], "header")
    if not isinstance(header, dict):
        raise MalformedAttestationError("the token's header is not a JSON object")
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise UnsupportedAlgorithmError(
            f"the token's alg is {alg!r}; only {ALGORITHM!r} is accepted"
        )
    if header.get("typ") != ATTESTATION_TYPE:
        raise WrongTypeError(f"the token's typ is {header.get('typ')!r}, not {ATTESTATION_TYPE!r}")
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise UnknownKeyError("the token names no key (no kid in its header)")
    return header


def _require(claims: Mapping[str, Any], name: str) -> Any:
    if name not in claims:
        raise MissingClaimError(name)
    return claims[name]


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidClaimError(name, "is not a non-negative integer")
    return value


def check_claims(
    claims: Mapping[str, Any], *, issuer: str | None = None, now: float | None = None
) -> None:
    """Check presence, types and values of the claims (signature checked elsewhere)."""
    for name in REQUIRED_CLAIMS:
        _require(claims, name)
    now = time.time() if now is None else now
    iss = claims["iss"]
    if not isinstance(iss, str) or not iss:
        raise InvalidClaimError("iss", "is not a non-empty string")
    if issuer is not None and iss != issuer:
        raise InvalidClaimError("iss", f"is {iss!r}, not the expected issuer {issuer!r}")
    if _whole(claims["iat"], "iat") > now + CLOCK_SKEW_S:
        raise InvalidClaimError("iat", "lies in the future")
    if "exp" in claims and _whole(claims["exp"], "exp") + CLOCK_SKEW_S < now:
        raise InvalidClaimError("exp", "has passed: the attestation expired")
    if "nbf" in claims and _whole(claims["nbf"], "nbf") > now + CLOCK_SKEW_S:
        raise InvalidClaimError("nbf", "lies in the future: not valid yet")
    for name in ("content_hash", "leaf_hash"):
        value = claims[name]
        if not isinstance(value, str) or not _HEX64.match(value):
            raise InvalidClaimError(name, "is not a SHA-256 hash in lowercase hex")
    if claims["verdict"] not in VERDICTS:
        raise InvalidClaimError("verdict", f"is {claims['verdict']!r}, not a known verdict")
    p_ai = claims["p_ai"]
    if p_ai is not None and (
        isinstance(p_ai, bool)
        or not isinstance(p_ai, int | float)
        or not (math.isfinite(p_ai) and 0.0 <= p_ai <= 1.0)
    ):
        raise InvalidClaimError("p_ai", "is not a probability in [0, 1] or null")
    if claims["model_version"] is not None and not isinstance(claims["model_version"], str):
        raise InvalidClaimError("model_version", "is not a string or null")
    origin = claims["log_origin"]
    if not isinstance(origin, str):
        raise InvalidClaimError("log_origin", "is not a string")
    try:
        check_origin(origin)
    except CheckpointError as exc:
        raise InvalidClaimError("log_origin", f"is not a log origin ({exc})") from None
    _whole(claims["log_index"], "log_index")


def check_inclusion(
    claims: Mapping[str, Any], proof: InclusionProof, keys: Sequence[PublicKey]
) -> Checkpoint:
    """Check that ``proof`` puts the attested leaf in a checkpoint signed by ``keys``."""
    if proof.checkpoint is None:
        raise InclusionError(
            "the inclusion proof carries no signed checkpoint, so its root proves nothing "
            "(make it with `soundproof ledger prove INDEX --checkpoint`)"
        )
    try:
        checkpoint = open_checkpoint_with_keys(proof.checkpoint, keys, origin=claims["log_origin"])
    except (NoteError, CheckpointError) as exc:
        raise InclusionError(f"the proof's checkpoint did not verify: {exc}") from None
    if proof.index != claims["log_index"]:
        raise InclusionError(
            f"the proof is for leaf {proof.index}, the attestation for {claims['log_index']}"
        )
    if proof.leaf_hash.hex() != claims["leaf_hash"]:
        raise InclusionError("the proof is for another leaf hash than the attestation's")
    if proof.tree_size != checkpoint.size:
        raise InclusionError(
            f"the proof is for tree size {proof.tree_size}, its checkpoint for {checkpoint.size}"
        )
    try:
        verify_inclusion(
            proof.index, proof.tree_size, proof.leaf_hash, proof.hashes, checkpoint.root
        )
    except ProofError as exc:
        raise InclusionError(f"the leaf is not in the signed log: {exc}") from None
    return checkpoint


def verify_attestation(
    token: str,
    keys: Sequence[PublicKey],
    *,
    issuer: str | None = None,
    proof: InclusionProof | None = None,
    now: float | None = None,
) -> VerifiedAttestation:
    """Verify ``token`` offline against trusted ``keys`` (e.g. from a JWKS file).

    Checks, in order: the compact form and header (``alg`` Ed25519, ``typ``, a
    ``kid`` among ``keys``), the signature, then every required claim (and ``iss``
    if ``issuer`` is given). With ``proof``, also that the attested leaf is in the
    log at the proof's signed checkpoint. Each failure raises its own subclass of
    :class:`~soundproof.ledger.errors.AttestationError`.
    """
    header = read_header(token)
    kid = header["kid"]
    key = next((candidate for candidate in keys if candidate.kid == kid), None)
    if key is None:
        raise UnknownKeyError(f"the token is signed by key {kid}, which the given keys do not hold")
    try:
        decoded = jwt.decode(token.strip(), key.okp(), algorithms=[ALGORITHM])
    except JoseBadSignature:
        raise BadSignatureError(f"the signature does not verify with key {kid}") from None
    except JoseError as exc:
        raise MalformedAttestationError(f"the token is malformed: {exc}") from None
    claims = dict(decoded.claims)
    check_claims(claims, issuer=issuer, now=now)
    checkpoint = check_inclusion(claims, proof, keys) if proof is not None else None
    return VerifiedAttestation(claims=claims, header=dict(header), kid=kid, checkpoint=checkpoint)


__all__ = [
    "ATTESTATION_TYPE",
    "REQUIRED_CLAIMS",
    "VERDICTS",
    "VERDICT_KIND",
    "AttestationError",
    "VerifiedAttestation",
    "attestation_claims",
    "check_claims",
    "check_inclusion",
    "read_header",
    "sign_attestation",
    "verdict_fields",
    "verdict_record",
    "verify_attestation",
]
