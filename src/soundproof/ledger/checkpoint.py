"""Transparency log checkpoints (https://c2sp.org/tlog-checkpoint): signed tree heads.

The note text is three lines, then optional extension lines::

    <origin>
    <tree size, decimal, no leading zeros>
    <root hash, standard base64>

signed as a C2SP note (:mod:`soundproof.ledger.note`) under a key name equal to the
origin, as the spec recommends. Anyone with the log's public key (vkey or JWKS) can
check a checkpoint offline, and then check inclusion and consistency proofs against
its root.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from soundproof.ledger.errors import CheckpointError
from soundproof.ledger.keys import PublicKey, SigningKey
from soundproof.ledger.merkle import HASH_SIZE
from soundproof.ledger.note import NoteVerifier, open_note, sign_note, verifiers_for

_SIZE = re.compile(r"^(0|[1-9][0-9]*)$")


def check_origin(origin: str) -> str:
    """``origin`` if it can name a log (non-empty, no spaces, '+' or control characters)."""
    if not origin or len(origin) > 255:
        raise CheckpointError("a log origin must be 1 to 255 characters")
    if any(ch.isspace() or ch == "+" or ord(ch) < 0x20 for ch in origin):
        raise CheckpointError(f"bad log origin {origin!r}: no spaces, '+' or control characters")
    return origin


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log ``origin``, its ``size`` and the Merkle ``root`` at that size."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text, final newline included."""
        check_origin(self.origin)
        if len(self.root) != HASH_SIZE:
            raise CheckpointError("a checkpoint root is a 32-byte hash")
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint's note text; CheckpointError says what is wrong."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("a checkpoint has at least three lines")
        origin, size, root_b64, *extensions = lines
        check_origin(origin)
        if not _SIZE.match(size):
            raise CheckpointError(f"checkpoint size {size!r} is not a decimal number")
        try:
            root = base64.b64decode(root_b64, validate=True)
        except binascii.Error:
            raise CheckpointError("checkpoint root is not base64") from None
        if len(root) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root is {len(root)} bytes, not {HASH_SIZE}")
        if any(not line for line in extensions):
            raise CheckpointError("checkpoint extension lines must not be empty")
        return cls(origin=origin, size=int(size), root=root, extensions=tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, key: SigningKey) -> str:
    """The signed note of ``checkpoint`` (key name = origin)."""
    return sign_note(checkpoint.body(), checkpoint.origin, key)


def open_checkpoint(
    note: str,
    verifiers: Iterable[NoteVerifier],
    *,
    origin: str | None = None,
) -> Checkpoint:
    """Verify a signed checkpoint and parse it.

    ``verifiers`` are trusted keys (:func:`verifiers_for` makes them from public keys and
    the origin). ``origin``, when given, must be the checkpoint's first line: a
    checkpoint of another log is refused even if signed by a trusted key.
    Raises :class:`~soundproof.ledger.errors.NoteError` or :class:`CheckpointError`.
    """
    opened, _ = open_note(note, verifiers)
    checkpoint = Checkpoint.parse(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is of log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint


def open_checkpoint_with_keys(
    note: str, keys: Sequence[PublicKey], *, origin: str | None = None
) -> Checkpoint:
    """:func:`open_checkpoint` trusting ``keys`` under the note's own origin as key name.

    The key name of a checkpoint is its origin, so the verifiers are made for the
    origin line read from the (yet unverified) text; ``origin`` pins it when known.
    """
    first_line = note.split("\n", 1)[0]
    if origin is not None and first_line != origin:
        raise CheckpointError(f"checkpoint is of log {first_line!r}, not {origin!r}")
    check_origin(first_line)
    return open_checkpoint(note, verifiers_for(first_line, keys), origin=origin)


__all__ = [
    "Checkpoint",
    "check_origin",
    "open_checkpoint",
    "open_checkpoint_with_keys",
    "sign_checkpoint",
]
