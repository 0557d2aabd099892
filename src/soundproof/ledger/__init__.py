"""The provenance ledger: keys, signed attestations, a Merkle transparency log, checkpoints.

Every state change that matters (a verdict, later an enrollment, a consent, a
revocation) becomes an entry of an append-only RFC 9162 Merkle log. Signed
checkpoints (C2SP tlog-checkpoint) fix its state; inclusion and consistency proofs
show that an entry is in it and that it only ever grew; attestations (JWS, alg
Ed25519) carry a verdict with its place in the log to anyone holding the public keys.

Layer (DESIGN.md): above the analyses and the store, below the interfaces. It takes
scan rows as plain mappings and never imports ``detect`` or ``scan``.
"""

from soundproof.ledger.attestation import (
    ATTESTATION_TYPE,
    VerifiedAttestation,
    attestation_claims,
    sign_attestation,
    verdict_fields,
    verdict_record,
    verify_attestation,
)
from soundproof.ledger.canonical import canonical_json, decode_record, encode_record
from soundproof.ledger.checkpoint import (
    Checkpoint,
    open_checkpoint,
    open_checkpoint_with_keys,
    sign_checkpoint,
)
from soundproof.ledger.errors import (
    AttestationError,
    LedgerError,
    VerificationError,
)
from soundproof.ledger.jwks import build_jwks, load_jwks, parse_jwks
from soundproof.ledger.keyring import KeyRing, known_public_keys, load_signing_key
from soundproof.ledger.keys import PublicKey, SigningKey
from soundproof.ledger.ledger import Attestation, Ledger, TreeHead
from soundproof.ledger.merkle import (
    ConsistencyProof,
    InclusionProof,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from soundproof.ledger.note import NoteVerifier, open_note, sign_note, vkey
from soundproof.ledger.store import Leaf, LogEntry, StoredCheckpoint
from soundproof.ledger.verify import Problem, VerifyReport

__all__ = [
    "ATTESTATION_TYPE",
    "Attestation",
    "AttestationError",
    "Checkpoint",
    "ConsistencyProof",
    "InclusionProof",
    "KeyRing",
    "Leaf",
    "Ledger",
    "LedgerError",
    "LogEntry",
    "NoteVerifier",
    "Problem",
    "PublicKey",
    "SigningKey",
    "StoredCheckpoint",
    "TreeHead",
    "VerificationError",
    "VerifiedAttestation",
    "VerifyReport",
    "attestation_claims",
    "build_jwks",
    "canonical_json",
    "decode_record",
    "encode_record",
    "known_public_keys",
    "leaf_hash",
    "load_jwks",
    "load_signing_key",
    "node_hash",
    "open_checkpoint",
    "open_checkpoint_with_keys",
    "open_note",
    "parse_jwks",
    "sign_attestation",
    "sign_checkpoint",
    "sign_note",
    "verdict_fields",
    "verdict_record",
    "verify_attestation",
    "verify_consistency",
    "verify_inclusion",
    "vkey",
]
