"""Ed25519 signing keys: identity (RFC 7638 key ids), PEM files that stay private, JWKs.

A key is named by its ``kid``, the RFC 7638 JWK thumbprint (SHA-256, base64url) of
its public part: anyone holding the public key computes the same id, so a JWKS entry,
an attestation header and a key file can be matched without trusting a label.

Private keys live in PEM files (PKCS#8, unencrypted) of mode 0600, written atomically
(a temporary file in the same folder, fsync, rename), or in an environment variable.
A key file readable by group or others is refused, not used: a leaked ledger key lets
anyone forge attestations and checkpoints. Secrets never appear in ``repr``, logs or
messages; only the ``kid`` does.

Cryptography is the ``cryptography`` package's Ed25519 (RFC 8032); JOSE key handling
(thumbprints, JWK members) is ``joserfc``'s.
"""

from __future__ import annotations

import base64
import contextlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from joserfc.jwk import OKPKey

from soundproof.ledger.errors import JwksError, KeyFileError

ALGORITHM = "Ed25519"
"""The JOSE ``alg`` of every Soundproof signature (RFC 9864's fully specified name)."""

PRIVATE_MODE = 0o600
"""The only mode a private key file may have (owner read/write)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class PublicKey:
    """The public half of an Ed25519 key, with its RFC 7638 thumbprint as ``kid``."""

    key: Ed25519PublicKey = field(repr=False, compare=False)
    raw: bytes = field(repr=False)
    kid: str

    @classmethod
    def from_key(cls, key: Ed25519PublicKey, kid: str | None = None) -> PublicKey:
        """Wrap a ``cryptography`` key; ``kid`` defaults to the RFC 7638 thumbprint."""
        raw = _raw_public(key)
        return cls(key=key, raw=raw, kid=kid or thumbprint(raw))

    @classmethod
    def from_raw(cls, raw: bytes, kid: str | None = None) -> PublicKey:
        """From the 32 raw bytes of RFC 8032."""
        if len(raw) != 32:
            raise ValueError(f"an Ed25519 public key is 32 bytes, not {len(raw)}")
        return cls.from_key(Ed25519PublicKey.from_public_bytes(raw), kid)

    @classmethod
    def from_jwk(cls, jwk: Any) -> PublicKey:
        """From a JWK (RFC 8037 OKP, ``crv`` Ed25519); refuses other algorithms and uses.

        A ``kid`` member is kept as the key's name (a JWKS may use its own ids);
        without one the thumbprint is used.
        """
        if not isinstance(jwk, dict):
            raise JwksError("a JWK must be a JSON object")
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise JwksError(f"not an Ed25519 key (kty={jwk.get('kty')!r}, crv={jwk.get('crv')!r})")
        if jwk.get("alg", ALGORITHM) != ALGORITHM:
            raise JwksError(f"key is for alg {jwk.get('alg')!r}, not {ALGORITHM}")
        if jwk.get("use", "sig") != "sig":
            raise JwksError(f"key is for use {jwk.get('use')!r}, not signatures")
        x, kid = jwk.get("x"), jwk.get("kid")
        if not isinstance(x, str) or (kid is not None and not isinstance(kid, str)):
            raise JwksError("the JWK's 'x' and 'kid' must be strings")
        try:
            raw = _b64url_decode(x)
            return cls.from_raw(raw, kid)
        except ValueError:
            raise JwksError("the JWK's 'x' is not a 32-byte base64url Ed25519 key") from None

    def jwk(self) -> dict[str, str]:
        """RFC 7517/8037 JWK: OKP, Ed25519, with ``kid``, ``use`` sig and ``alg`` Ed25519."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(self.raw),
            "kid": self.kid,
            "use": "sig",
            "alg": ALGORITHM,
        }

    def okp(self) -> OKPKey:
        """The key as a ``joserfc`` OKP key, for verifying JWS."""
        return OKPKey.import_key(self.key, {"kid": self.kid, "use": "sig", "alg": ALGORITHM})

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``."""
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


def thumbprint(raw_public: bytes) -> str:
    """The RFC 7638 thumbprint (SHA-256, base64url) of an Ed25519 public key."""
    jwk: dict[str, str | list[str]] = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw_public)}
    return OKPKey.import_key(jwk).thumbprint()


class SigningKey:
    """An Ed25519 private key. Its ``repr`` and ``str`` show the ``kid`` only."""

    __slots__ = ("_private", "public")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = PublicKey.from_key(private.public_key())

    @classmethod
    def generate(cls) -> SigningKey:
        """A new key from the operating system's random source."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data: bytes, *, source: str = "the key") -> SigningKey:
        """Load a PEM Ed25519 private key (PKCS#8, unencrypted); KeyFileError otherwise."""
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except TypeError:
            raise KeyFileError(f"{source} is encrypted; give an unencrypted PKCS#8 key") from None
        except (ValueError, UnsupportedAlgorithm):
            raise KeyFileError(f"{source} is not a PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"{source} is not an Ed25519 key ({type(key).__name__})")
        return cls(key)

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the public key."""
        return self.public.kid

    def private_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (for a 0600 file, never for output)."""
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._private.sign(message)

    def okp(self) -> OKPKey:
        """The key as a ``joserfc`` OKP key, for signing JWS."""
        return OKPKey.import_key(self._private, {"kid": self.kid, "use": "sig", "alg": ALGORITHM})

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # never pickled into a log, a queue or a crash dump
        raise TypeError("signing keys cannot be pickled")


def read_private_key_file(path: Path) -> SigningKey:
    """Load the key in ``path``, refusing a file that group or others may read.

    The mode is checked on the opened file (``fstat``), so a file swapped between the
    check and the read is still checked. Symbolic links are followed (secret mounts use
    them); the target's mode is what counts.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise KeyFileError(f"no key file at {path}") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"the key file {path} is not a regular file")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise KeyFileError(
                f"the key file {path} has mode {mode:04o}: group or others may read it; "
                f"run: chmod 600 {path}"
            )
        data = handle.read()
    return SigningKey.from_pem(data, source=f"the key file {path}")


def write_private_key_file(path: Path, key: SigningKey, *, overwrite: bool = False) -> None:
    """Write ``key`` to ``path`` with mode 0600, atomically and durably.

    The temporary file is created 0600 from the start (``O_EXCL``), never readable by
    others even for an instant; it is fsynced, renamed over ``path`` and the folder is
    fsynced, so a crash leaves either no file or the whole key.
    """
    if path.exists() and not overwrite:
        raise KeyFileError(f"{path} already exists; not overwriting a key")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(temporary, flags, PRIVATE_MODE)
    except OSError as exc:
        raise KeyFileError(f"cannot write the key file {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), PRIVATE_MODE)  # whatever the umask said
            handle.write(key.private_pem())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    fsync_directory(path.parent)


def fsync_directory(folder: Path) -> None:
    """Make a rename or creation in ``folder`` durable (a no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = [
    "ALGORITHM",
    "PRIVATE_MODE",
    "PublicKey",
    "SigningKey",
    "fsync_directory",
    "read_private_key_file",
    "thumbprint",
    "write_private_key_file",
]
