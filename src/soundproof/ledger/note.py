"""C2SP signed notes (https://c2sp.org/signed-note), Ed25519 signature type only.

A note is UTF-8 text ending in a newline, a blank line, then one or more lines
``— <key name> <base64(key ID || signature)>`` (em dash U+2014). For Ed25519 the
4-byte key ID is ``SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]``
(big-endian) and the signature is RFC 8032 Ed25519 over the note text, final
newline included. A verifier key is written ``<name>+<hex key ID>+<base64(0x01 ||
public key)>`` (the "vkey" of golang.org/x/mod/sumdb/note).

Opening a note follows the spec: signatures by unknown keys (name *and* ID must
match) are ignored; a signature by a known key that fails to verify rejects the
note; a note with no verified signature is rejected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from soundproof.ledger.errors import NoteError, NoteSignatureError, UnknownNoteKeyError
from soundproof.ledger.keys import PublicKey, SigningKey

SIGNATURE_TYPE_ED25519 = 0x01
"""The signature type byte of plain Ed25519 note signatures."""

MAX_SIGNATURES = 100
"""Signature lines accepted in a note (the spec asks for at least 16)."""

EM_DASH = "\u2014"


def _check_name(name: str) -> None:
    if not name or any(ch.isspace() or ch == "+" or ord(ch) < 0x20 for ch in name):
        raise NoteError(f"bad key name {name!r}: must be non-empty, with no spaces or '+'")


def key_id(name: str, public_raw: bytes) -> int:
    """The note key ID of an Ed25519 key under ``name`` (a big-endian uint32)."""
    _check_name(name)
    material = name.encode("utf-8") + b"\n" + bytes([SIGNATURE_TYPE_ED25519]) + public_raw
    return int.from_bytes(hashlib.sha256(material).digest()[:4], "big")


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted Ed25519 key under a note key name."""

    name: str
    key_id: int
    public: PublicKey

    @classmethod
    def for_key(cls, name: str, public: PublicKey) -> NoteVerifier:
        """The verifier of ``public`` signing as ``name``."""
        return cls(name=name, key_id=key_id(name, public.raw), public=public)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``<name>+<hex id>+<base64(0x01 || key)>``, checking the ID against the key."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is <name>+<hex key id>+<base64 key>")
        name, id_hex, key_b64 = parts
        _check_name(name)
        if len(id_hex) != 8 or any(ch not in "0123456789abcdef" for ch in id_hex):
            raise NoteError(f"verifier key ID {id_hex!r} is not 8 lowercase hex digits")
        try:
            material = base64.b64decode(key_b64, validate=True)
        except binascii.Error:
            raise NoteError("verifier key material is not base64") from None
        if len(material) != 33 or material[0] != SIGNATURE_TYPE_ED25519:
            raise NoteError("verifier key is not an Ed25519 key (type 0x01, 32 bytes)")
        verifier = cls.for_key(name, PublicKey.from_raw(material[1:]))
        if verifier.key_id != int(id_hex, 16):
            raise NoteError(f"verifier key ID {id_hex} does not match its key")
        return verifier

    def vkey(self) -> str:
        """This verifier as a vkey string."""
        material = bytes([SIGNATURE_TYPE_ED25519]) + self.public.raw
        return f"{self.name}+{self.key_id:08x}+{base64.b64encode(material).decode('ascii')}"


def vkey(name: str, public: PublicKey) -> str:
    """The vkey of ``public`` under the key name ``name``."""
    return NoteVerifier.for_key(name, public).vkey()


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and the signature bytes after the ID."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{EM_DASH} {self.name} {base64.b64encode(blob).decode('ascii')}\n"


@dataclass(frozen=True)
class Note:
    """A parsed note: its text (ending in a newline) and its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("malformed note: the text must end with a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("malformed note: control characters in the text")


def sign_note(text: str, name: str, key: SigningKey) -> str:
    """``text`` signed by ``key`` as ``name``: the full note, ready to publish."""
    _check_text(text)
    signature = NoteSignature(
        name=name,
        key_id=key_id(name, key.public.raw),
        signature=key.sign(text.encode("utf-8")),
    )
    return f"{text}\n{signature.line()}"


def parse_note(message: str) -> Note:
    """Split a note into text and signatures, or NoteError saying what is malformed."""
    if not message.endswith("\n"):
        raise NoteError("malformed note: it must end with a newline")
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, block = message[: split + 1], message[split + 2 :]
    _check_text(text)
    lines = block.splitlines(keepends=True)
    if not lines:
        raise NoteError("malformed note: no signature lines")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    signatures = []
    for line in lines:
        if not line.startswith(f"{EM_DASH} ") or not line.endswith("\n"):
            raise NoteError("malformed note: a signature line must start with an em dash")
        fields = line[2:-1].split(" ")
        if len(fields) != 2:
            raise NoteError("malformed note: a signature line is '— <name> <base64>'")
        name, blob_b64 = fields
        _check_name(name)
        try:
            blob = base64.b64decode(blob_b64, validate=True)
        except binascii.Error:
            raise NoteError(f"malformed note: the signature of {name} is not base64") from None
        if len(blob) < 5:
            raise NoteError(f"malformed note: the signature of {name} is too short")
        signatures.append(
            NoteSignature(name=name, key_id=int.from_bytes(blob[:4], "big"), signature=blob[4:])
        )
    return Note(text=text, signatures=tuple(signatures))


def open_note(message: str, verifiers: Iterable[NoteVerifier]) -> tuple[Note, list[NoteVerifier]]:
    """Verify a note: returns it with the verifiers whose signatures checked out.

    Unknown keys are ignored; a known key's bad signature, or no known signature at
    all, raises :class:`NoteError`.
    """
    note = parse_note(message)
    known: dict[tuple[str, int], NoteVerifier] = {}
    for verifier in verifiers:
        known.setdefault((verifier.name, verifier.key_id), verifier)
    verified: list[NoteVerifier] = []
    payload = note.text.encode("utf-8")
    for signature in note.signatures:
        trusted = known.get((signature.name, signature.key_id))
        if trusted is None:
            continue
        if not trusted.public.verify(signature.signature, payload):
            raise NoteSignatureError(
                f"signature invalid for key {signature.name}+{signature.key_id:08x} "
                f"(kid {trusted.public.kid})"
            )
        if trusted not in verified:
            verified.append(trusted)
    if not verified:
        names = ", ".join(f"{s.name}+{s.key_id:08x}" for s in note.signatures)
        raise UnknownNoteKeyError(f"no signature by a known key (the note is signed by {names})")
    return note, verified


def verifiers_for(name: str, keys: Sequence[PublicKey]) -> list[NoteVerifier]:
    """Note verifiers for each of ``keys`` under the key name ``name``."""
    return [NoteVerifier.for_key(name, key) for key in keys]


__all__ = [
    "MAX_SIGNATURES",
    "SIGNATURE_TYPE_ED25519",
    "Note",
    "NoteSignature",
    "NoteVerifier",
    "key_id",
    "open_note",
    "parse_note",
    "sign_note",
    "verifiers_for",
    "vkey",
]
