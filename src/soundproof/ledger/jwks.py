"""JSON Web Key Sets (RFC 7517 section 5): how public keys leave the ledger and come back.

A verifier needs nothing but this file to check attestations and checkpoints offline.
Reading is lenient about *other* keys (a shared JWKS may hold RSA or P-256 keys for
other services; they are skipped) and strict about ours: an Ed25519 entry that is
malformed, or meant for another algorithm or use, is an error, not silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from soundproof.ledger.errors import JwksError
from soundproof.ledger.keys import PublicKey


def build_jwks(keys: Iterable[PublicKey]) -> dict[str, Any]:
    """``{"keys": [...]}`` with one JWK per distinct ``kid``, in the order given."""
    seen: dict[str, dict[str, str]] = {}
    for key in keys:
        seen.setdefault(key.kid, key.jwk())
    return {"keys": list(seen.values())}


def parse_jwks(document: Any) -> list[PublicKey]:
    """The Ed25519 keys of a JWKS document (already parsed JSON); JwksError if none."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError('a JWKS must be a JSON object with a "keys" list')
    keys: list[PublicKey] = []
    for position, entry in enumerate(document["keys"]):
        if not isinstance(entry, dict):
            raise JwksError(f"JWKS entry {position} is not a JSON object")
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            continue  # some other service's key
        try:
            keys.append(PublicKey.from_jwk(entry))
        except JwksError as exc:
            raise JwksError(f"JWKS entry {position}: {exc}") from None
    if not keys:
        raise JwksError("the JWKS holds no Ed25519 key")
    return keys


def load_jwks(path: Path) -> list[PublicKey]:
    """The Ed25519 keys of the JWKS file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JwksError(f"cannot read the JWKS file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise JwksError(f"the JWKS file {path} is not UTF-8 text") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise JwksError(f"the JWKS file {path} is not JSON: {exc}") from None
    try:
        return parse_jwks(document)
    except JwksError as exc:
        raise JwksError(f"{path}: {exc}") from None


__all__ = ["build_jwks", "load_jwks", "parse_jwks"]
