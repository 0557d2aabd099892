"""The errors of the ledger, split by what the caller should do about them.

Two families, both :class:`~soundproof.errors.SoundproofError` (their messages are for
the user):

* :class:`LedgerError` and its direct subclasses: the ledger cannot be used as asked
  (no key, a key file readable by others, a malformed JWKS, a database that cannot be
  opened, an index beyond the log). The CLI exits 2, as for any unusable input.
* :class:`VerificationError` and its subclasses: something was checked and is not
  genuine or not consistent (a signature, a claim, a proof, a note). The CLI's verify
  commands exit 1 for these, so a script can tell "forged" from "could not check".
"""

from __future__ import annotations

from soundproof.errors import SoundproofError


class LedgerError(SoundproofError):
    """The ledger, its keys or its input cannot be used as asked."""


class LedgerStoreError(LedgerError):
    """The ledger database cannot be opened, read or written."""


class KeyFileError(LedgerError):
    """A signing key file is missing, unreadable, not a usable key, or not private (0600)."""


class NoSigningKeyError(LedgerError):
    """Signing was asked for but no signing key is configured."""


class KeyRingError(LedgerError):
    """The key ring on disk is missing, damaged, or the operation does not fit its state."""


class JwksError(LedgerError):
    """A JWKS document cannot be read or holds no usable Ed25519 key."""


class VerificationError(LedgerError):
    """Something was checked and failed: it is forged, corrupt, or does not match."""


class ProofError(VerificationError):
    """An inclusion or consistency proof does not prove what it claims."""


class NoteError(VerificationError):
    """A signed note is malformed, or none of its signatures verifies with a known key."""


class NoteSignatureError(NoteError):
    """A signature by a known key does not verify: the note was altered or forged."""


class UnknownNoteKeyError(NoteError):
    """No signature of the note is by a known key."""


class CheckpointError(VerificationError):
    """A checkpoint's text is not a valid C2SP tlog checkpoint, or belongs to another log."""


class AttestationError(VerificationError):
    """An attestation token did not verify (the subclass says why)."""


class MalformedAttestationError(AttestationError):
    """The token is not a compact JWS with a JSON header and JSON object claims."""


class UnsupportedAlgorithmError(AttestationError):
    """The header's ``alg`` is not ``Ed25519`` (``EdDSA``, ``none`` and others are refused)."""


class WrongTypeError(AttestationError):
    """The header's ``typ`` is not that of a Soundproof attestation."""


class UnknownKeyError(AttestationError):
    """The header names no ``kid``, or one that the given keys do not hold."""


class BadSignatureError(AttestationError):
    """The signature does not verify with the key named by ``kid``."""


class MissingClaimError(AttestationError):
    """A required claim is absent."""

    def __init__(self, claim: str) -> None:
        super().__init__(f"attestation has no {claim!r} claim")
        self.claim = claim


class InvalidClaimError(AttestationError):
    """A claim is present but has the wrong type or an impossible value."""

    def __init__(self, claim: str, reason: str) -> None:
        super().__init__(f"attestation claim {claim!r} {reason}")
        self.claim = claim


class InclusionError(AttestationError):
    """The bundled inclusion proof does not place the attestation's leaf in a signed log."""


__all__ = [
    "AttestationError",
    "BadSignatureError",
    "CheckpointError",
    "InclusionError",
    "InvalidClaimError",
    "JwksError",
    "KeyFileError",
    "KeyRingError",
    "LedgerError",
    "LedgerStoreError",
    "MalformedAttestationError",
    "MissingClaimError",
    "NoSigningKeyError",
    "NoteError",
    "NoteSignatureError",
    "ProofError",
    "UnknownKeyError",
    "UnknownNoteKeyError",
    "UnsupportedAlgorithmError",
    "VerificationError",
    "WrongTypeError",
]
