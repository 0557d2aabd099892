"""The key ring: one active signing key, and the public part of every key ever used.

Layout of the folder (``SOUNDPROOF_HOME/keys`` by default, mode 0700)::

    ring.json      the manifest: every key's public JWK, created and retired times,
                   and which kid is active (written atomically; holds no secret)
    <kid>.pem      the active key's private PEM, mode 0600

Rotation makes a new active key and *retires* the old one: its public JWK stays in
the manifest (and in every JWKS export) so that everything it signed keeps
verifying, and its private file is deleted, so a retired key can never sign again
and cannot leak later. Generating and rotating hold an exclusive lock on
``keys/.lock``, so two processes cannot both rotate.

Which key signs (:func:`load_signing_key`): ``SOUNDPROOF_SIGNING_KEY`` (PEM text,
e.g. from a secret store), else ``SOUNDPROOF_SIGNING_KEY_FILE``, else the ring's
active key. Which keys verify (:func:`known_public_keys`): all of the ring's, plus
the configured key's public part.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soundproof.config import Settings
from soundproof.ledger.errors import JwksError, KeyRingError, NoSigningKeyError
from soundproof.ledger.keys import (
    PublicKey,
    SigningKey,
    fsync_directory,
    read_private_key_file,
    write_private_key_file,
)

MANIFEST = "ring.json"
LOCK = ".lock"
FORMAT_VERSION = 1


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class RingEntry:
    """One key of the ring: its public part, when it was made and when it was retired."""

    public: PublicKey
    created: str
    retired: str | None = None

    @property
    def kid(self) -> str:
        """The key's RFC 7638 thumbprint."""
        return self.public.kid

    @property
    def active(self) -> bool:
        """Whether this key signs (only one key of a ring does)."""
        return self.retired is None

    def to_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "jwk": self.public.jwk(),
            "created": self.created,
            "retired": self.retired,
        }


class KeyRing:
    """The key ring in one folder (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        """The ring under ``SOUNDPROOF_HOME/keys``."""
        return cls(settings.keys_dir)

    @property
    def manifest_path(self) -> Path:
        return self.folder / MANIFEST

    def exists(self) -> bool:
        """Whether the ring has a manifest (a key was ever generated)."""
        return self.manifest_path.exists()

    def entries(self) -> list[RingEntry]:
        """Every key, oldest first; empty when there is no ring yet."""
        if not self.exists():
            return []
        try:
            document = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            if document.get("version") != FORMAT_VERSION:
                raise KeyRingError(
                    f"{self.manifest_path}: unknown format {document.get('version')}"
                )
            entries = [
                RingEntry(
                    public=PublicKey.from_jwk(item["jwk"]),
                    created=str(item["created"]),
                    retired=None if item.get("retired") is None else str(item["retired"]),
                )
                for item in document["keys"]
            ]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, JwksError) as exc:
            raise KeyRingError(
                f"the key ring manifest {self.manifest_path} is damaged: {exc}"
            ) from None
        if sum(entry.active for entry in entries) > 1:
            raise KeyRingError(f"{self.manifest_path} names more than one active key")
        return entries

    def active_entry(self) -> RingEntry | None:
        """The key that signs, or None when the ring is empty."""
        return next((entry for entry in self.entries() if entry.active), None)

    def private_path(self, kid: str) -> Path:
        """Where the private PEM of ``kid`` lives (the active key only)."""
        return self.folder / f"{kid}.pem"

    def active_key(self) -> SigningKey:
        """The active signing key, checked against the manifest's public key."""
        entry = self.active_entry()
        if entry is None:
            raise NoSigningKeyError(
                f"no signing key in {self.folder}: run `soundproof ledger keys generate`"
            )
        key = read_private_key_file(self.private_path(entry.kid))
        if key.kid != entry.kid:
            raise KeyRingError(
                f"{self.private_path(entry.kid)} holds key {key.kid}, not {entry.kid}"
            )
        return key

    def public_keys(self) -> list[PublicKey]:
        """The public part of every key, active and retired."""
        return [entry.public for entry in self.entries()]

    def generate(self) -> SigningKey:
        """Create the ring's first key; KeyRingError if the ring already has one."""
        with self._locked():
            entries = self.entries()
            if any(entry.active for entry in entries):
                raise KeyRingError(
                    f"{self.folder} already has an active key; "
                    "use `soundproof ledger keys rotate` to replace it"
                )
            key = SigningKey.generate()
            write_private_key_file(self.private_path(key.kid), key)
            self._write([*entries, RingEntry(key.public, created=_now())])
        return key

    def rotate(self) -> tuple[SigningKey, RingEntry]:
        """Make a new active key and retire the old one; returns (new key, retired entry)."""
        with self._locked():
            entries = self.entries()
            old = next((entry for entry in entries if entry.active), None)
            if old is None:
                raise KeyRingError(
                    f"no active key in {self.folder} to rotate: "
                    "run `soundproof ledger keys generate` first"
                )
            key = SigningKey.generate()
            write_private_key_file(self.private_path(key.kid), key)
            retired = RingEntry(old.public, created=old.created, retired=_now())
            updated = [retired if entry.kid == old.kid else entry for entry in entries]
            self._write([*updated, RingEntry(key.public, created=_now())])
            # The retired private key is destroyed: it must never sign again.
            with contextlib.suppress(FileNotFoundError):
                self.private_path(old.kid).unlink()
            fsync_directory(self.folder)
        return key, retired

    def _write(self, entries: list[RingEntry]) -> None:
        active = next((entry.kid for entry in entries if entry.active), None)
        document = {
            "version": FORMAT_VERSION,
            "active": active,
            "keys": [entry.to_json() for entry in entries],
        }
        temporary = self.folder / f".{MANIFEST}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.manifest_path)
        fsync_directory(self.folder)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        fd = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock


def configured_key(settings: Settings) -> SigningKey | None:
    """The key given by environment (PEM text, then file), or None to use the ring."""
    if settings.signing_key is not None:
        pem = settings.signing_key.get_secret_value().encode("utf-8")
        return SigningKey.from_pem(pem, source="SOUNDPROOF_SIGNING_KEY")
    if settings.signing_key_file is not None:
        return read_private_key_file(settings.signing_key_file.expanduser())
    return None


def load_signing_key(settings: Settings) -> SigningKey:
    """The key that signs: environment PEM, key file, or the ring's active key."""
    return configured_key(settings) or KeyRing.from_settings(settings).active_key()


def known_public_keys(settings: Settings) -> list[PublicKey]:
    """Every public key this installation knows: the ring's and the configured key's."""
    keys = KeyRing.from_settings(settings).public_keys()
    configured = configured_key(settings)
    if configured is not None and all(key.kid != configured.kid for key in keys):
        keys.append(configured.public)
    return keys


__all__ = [
    "KeyRing",
    "RingEntry",
    "configured_key",
    "known_public_keys",
    "load_signing_key",
]
