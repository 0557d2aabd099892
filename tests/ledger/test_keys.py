"""Signing keys: ids, private files (0600 or refused), the environment, the ring, JWKS."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from soundproof.config import get_settings
from soundproof.ledger.errors import JwksError, KeyFileError, KeyRingError, NoSigningKeyError
from soundproof.ledger.jwks import build_jwks, load_jwks, parse_jwks
from soundproof.ledger.keyring import KeyRing, known_public_keys, load_signing_key
from soundproof.ledger.keys import (
    PublicKey,
    SigningKey,
    read_private_key_file,
    thumbprint,
    write_private_key_file,
)

# RFC 8037, Appendix A.1 and A.3: the example Ed25519 key and its RFC 7638 thumbprint.
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_kid_is_the_rfc7638_thumbprint() -> None:
    key = PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X})
    assert key.kid == RFC8037_THUMBPRINT
    assert thumbprint(key.raw) == RFC8037_THUMBPRINT
    assert key.jwk() == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": RFC8037_X,
        "kid": RFC8037_THUMBPRINT,
        "use": "sig",
        "alg": "Ed25519",
    }


def test_secrets_stay_out_of_repr_and_pickles() -> None:
    key = SigningKey.generate()
    pem = key.private_pem().decode()
    assert key.kid in repr(key) and "PRIVATE" not in repr(key) and pem not in str(key)
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_key_files_are_written_0600_and_read_back(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = tmp_path / "sub" / "signing.pem"
    previous = os.umask(0)  # the most permissive umask: the file must still be 0600
    try:
        write_private_key_file(path, key)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_private_key_file(path).kid == key.kid
    assert [p.name for p in path.parent.iterdir()] == ["signing.pem"]  # no temporary left
    with pytest.raises(KeyFileError, match="already exists"):
        write_private_key_file(path, SigningKey.generate())


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_files_readable_by_others_are_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "signing.pem"
    write_private_key_file(path, SigningKey.generate())
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=f"mode {mode:04o}.*chmod 600"):
        read_private_key_file(path)


def test_bad_key_files(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no key file"):
        read_private_key_file(tmp_path / "absent.pem")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    junk.chmod(0o600)
    with pytest.raises(KeyFileError, match="not a PEM private key"):
        read_private_key_file(junk)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    p256 = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    other = tmp_path / "p256.pem"
    other.write_bytes(p256)
    other.chmod(0o600)
    with pytest.raises(KeyFileError, match="not an Ed25519 key"):
        read_private_key_file(other)


def test_signing_key_from_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ring = KeyRing.from_settings(get_settings())
    ring_key = ring.generate()
    assert load_signing_key(get_settings()).kid == ring_key.kid
    file_key = SigningKey.generate()
    write_private_key_file(tmp_path / "k.pem", file_key)
    monkeypatch.setenv("SOUNDPROOF_SIGNING_KEY_FILE", str(tmp_path / "k.pem"))
    get_settings.cache_clear()
    assert load_signing_key(get_settings()).kid == file_key.kid
    env_key = SigningKey.generate()
    monkeypatch.setenv("SOUNDPROOF_SIGNING_KEY", env_key.private_pem().decode())
    get_settings.cache_clear()
    settings = get_settings()
    assert load_signing_key(settings).kid == env_key.kid
    assert env_key.private_pem().decode() not in repr(settings)  # SecretStr
    assert {k.kid for k in known_public_keys(settings)} == {ring_key.kid, env_key.kid}
    monkeypatch.setenv("SOUNDPROOF_SIGNING_KEY", "garbage")
    get_settings.cache_clear()
    with pytest.raises(KeyFileError, match="SOUNDPROOF_SIGNING_KEY"):
        load_signing_key(get_settings())


def test_ring_generate_rotate_keeps_retired_public_keys(soundproof_home: Path) -> None:
    ring = KeyRing.from_settings(get_settings())
    with pytest.raises(NoSigningKeyError):
        ring.active_key()
    with pytest.raises(KeyRingError, match="generate"):
        ring.rotate()
    first = ring.generate()
    assert ring.folder == soundproof_home / "keys"
    assert stat.S_IMODE(ring.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(ring.private_path(first.kid).stat().st_mode) == 0o600
    with pytest.raises(KeyRingError, match="rotate"):
        ring.generate()
    second, retired = ring.rotate()
    third, _ = ring.rotate()
    assert retired.kid == first.kid and retired.retired is not None
    assert ring.active_key().kid == third.kid
    assert [entry.kid for entry in ring.entries()] == [first.kid, second.kid, third.kid]
    assert [entry.active for entry in ring.entries()] == [False, False, True]
    # Retired private keys are destroyed; their public parts stay.
    assert not ring.private_path(first.kid).exists()
    assert not ring.private_path(second.kid).exists()
    assert {key.kid for key in ring.public_keys()} == {first.kid, second.kid, third.kid}
    manifest = ring.manifest_path.read_text()
    assert "PRIVATE" not in manifest and '"d"' not in manifest


def test_ring_refuses_a_private_file_opened_up(soundproof_home: Path) -> None:
    ring = KeyRing.from_settings(get_settings())
    key = ring.generate()
    ring.private_path(key.kid).chmod(0o644)
    with pytest.raises(KeyFileError, match="group or others"):
        load_signing_key(get_settings())


def test_damaged_ring_manifest(soundproof_home: Path) -> None:
    ring = KeyRing.from_settings(get_settings())
    ring.generate()
    ring.manifest_path.write_text("{not json")
    with pytest.raises(KeyRingError, match="damaged"):
        ring.entries()


def test_jwks_round_trip_and_leniency(tmp_path: Path) -> None:
    keys = [SigningKey.generate().public for _ in range(3)]
    document = build_jwks([*keys, keys[0]])
    assert [entry["kid"] for entry in document["keys"]] == [key.kid for key in keys]
    assert all(entry["alg"] == "Ed25519" and entry["use"] == "sig" for entry in document["keys"])
    assert all("d" not in entry for entry in document["keys"])
    path = tmp_path / "jwks.json"
    rsa = {"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "other-service"}
    path.write_text(json.dumps({"keys": [rsa, *document["keys"]]}))
    assert [key.kid for key in load_jwks(path)] == [key.kid for key in keys]
    bad_alg = {**keys[0].jwk(), "alg": "EdDSA"}
    with pytest.raises(JwksError, match="entry 0"):
        parse_jwks({"keys": [bad_alg]})
    with pytest.raises(JwksError, match="no Ed25519 key"):
        parse_jwks({"keys": [rsa]})
    with pytest.raises(JwksError):
        parse_jwks({"keys": [{**keys[0].jwk(), "x": "AAAA"}]})
    with pytest.raises(JwksError, match="not JSON"):
        path.write_text("{")
        load_jwks(path)
    with pytest.raises(JwksError, match="cannot read"):
        load_jwks(tmp_path / "absent.json")
