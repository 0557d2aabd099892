"""C2SP signed notes and tlog checkpoints: the reference vectors, then our own keys."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from soundproof.ledger.checkpoint import (
    Checkpoint,
    open_checkpoint,
    open_checkpoint_with_keys,
    sign_checkpoint,
)
from soundproof.ledger.errors import (
    CheckpointError,
    NoteError,
    NoteSignatureError,
    UnknownNoteKeyError,
)
from soundproof.ledger.keys import SigningKey
from soundproof.ledger.merkle import EMPTY_ROOT
from soundproof.ledger.note import (
    NoteVerifier,
    key_id,
    open_note,
    sign_note,
    verifiers_for,
    vkey,
)

# Source: golang.org/x/mod/sumdb/note, note_test.go (BSD-3-Clause), the reference
# implementation of C2SP signed-note: the PeterNeumann key pair (signer key is
# "PRIVATE+KEY+<name>+<id>+base64(0x01 || Ed25519 seed)"), its text and signed note,
# and the EnochRoot verifier key with its signature of the same text.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_BLOB = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
PETER_SIG = f"— PeterNeumann {PETER_BLOB}\n"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
ENOCH_BLOB = (
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
)
ENOCH_SIG = f"— EnochRoot {ENOCH_BLOB}\n"


def _peter_key() -> SigningKey:
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert seed[0] == 0x01
    return SigningKey(Ed25519PrivateKey.from_private_bytes(seed[1:]))


def test_reference_key_ids_and_vkeys() -> None:
    peter = NoteVerifier.from_vkey(PETER_VKEY)
    assert (peter.name, peter.key_id) == ("PeterNeumann", 0xC74F20A3)
    assert peter.vkey() == PETER_VKEY
    key = _peter_key()
    assert key_id("PeterNeumann", key.public.raw) == 0xC74F20A3
    assert vkey("PeterNeumann", key.public) == PETER_VKEY


def test_signing_reproduces_the_reference_note() -> None:
    # Ed25519 is deterministic (RFC 8032), so the note matches byte for byte.
    assert sign_note(TEXT, "PeterNeumann", _peter_key()) == TEXT + "\n" + PETER_SIG


def test_opening_the_reference_notes() -> None:
    peter, enoch = NoteVerifier.from_vkey(PETER_VKEY), NoteVerifier.from_vkey(ENOCH_VKEY)
    note, verified = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter])
    assert note.text == TEXT and verified == [peter]  # the unknown Enoch signature is ignored
    _, verified = open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter, enoch])
    assert verified == [peter, enoch]
    with pytest.raises(UnknownNoteKeyError):
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    with pytest.raises(NoteSignatureError):
        open_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], [peter])
    with pytest.raises(NoteSignatureError):
        open_note(TEXT.replace("cryptography", "cryptographY") + "\n" + PETER_SIG, [peter])


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + f"\n— Bad Name {PETER_BLOB}\n",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * 101,
    ],
)
def test_malformed_reference_notes_are_refused(message: str) -> None:
    with pytest.raises(NoteError):
        open_note(message, [NoteVerifier.from_vkey(PETER_VKEY)])


def test_mangled_vkeys_are_refused() -> None:
    for bad in [
        PETER_VKEY[:-1],
        PETER_VKEY.replace("c74f20a3", "c74f20a4"),
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ]:
        with pytest.raises(NoteError):
            NoteVerifier.from_vkey(bad)


def test_checkpoint_body_format_and_round_trip() -> None:
    root = bytes(range(32))
    checkpoint = Checkpoint(origin="example.com/log42", size=20852163, root=root)
    assert checkpoint.body() == (
        "example.com/log42\n20852163\n" + base64.b64encode(root).decode() + "\n"
    )
    assert Checkpoint.parse(checkpoint.body()) == checkpoint
    empty = Checkpoint(origin="example.com/log42", size=0, root=EMPTY_ROOT)
    assert Checkpoint.parse(empty.body()).size == 0
    key = SigningKey.generate()
    note = sign_checkpoint(checkpoint, key)
    body, signature = note.split("\n\n")
    assert body + "\n" == checkpoint.body()
    assert signature.startswith("— example.com/log42 ")
    blob = base64.b64decode(signature.split(" ")[2])
    assert len(blob) == 4 + 64 and int.from_bytes(blob[:4], "big") == key_id(
        "example.com/log42", key.public.raw
    )
    verifiers = verifiers_for("example.com/log42", [key.public])
    assert open_checkpoint(note, verifiers, origin="example.com/log42") == checkpoint
    assert open_checkpoint_with_keys(note, [key.public]) == checkpoint


@pytest.mark.parametrize(
    "body",
    [
        "example.com/log\n12\n",  # too few lines
        "example.com/log\n012\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "example.com/log\n-1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "example.com/log\n1\n" + base64.b64encode(b"short").decode() + "\n",
        "example.com/log\n1\nnot base64!\n",
        "\n1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "a b\n1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "example.com/log\n1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n\n",
    ],
)
def test_bad_checkpoint_bodies_are_refused(body: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.parse(body)


def test_checkpoint_of_another_log_or_key_is_refused() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    note = sign_checkpoint(Checkpoint("example.com/a", 3, EMPTY_ROOT), key)
    with pytest.raises(CheckpointError):
        open_checkpoint_with_keys(note, [key.public], origin="example.com/b")
    with pytest.raises(UnknownNoteKeyError):
        open_checkpoint_with_keys(note, [other.public])
    forged = note.replace("\n3\n", "\n4\n")
    with pytest.raises(NoteSignatureError):
        open_checkpoint_with_keys(forged, [key.public])
