"""``soundproof ledger``: the commands, their output and their exit codes (0, 1, 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from soundproof.cli.main import app
from soundproof.config import get_settings
from soundproof.ledger import Ledger
from soundproof.ledger.db import ledger_tables, make_ledger_engine
from soundproof.ledger.keys import SigningKey, write_private_key_file

ROW = {"verdict": "ai", "p_ai": 0.9, "model_version": "m-1", "content_hash": "12" * 32}


def run(*argv: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["ledger", *argv], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_append_show_prove_checkpoint_verify(tmp_path: Path) -> None:
    assert run("keys", "generate")[0] == 0
    entry = tmp_path / "entry.bin"
    entry.write_bytes(b"\x00\xffbinary")
    code, out, _ = run("append", str(entry))
    assert code == 0 and json.loads(out)["index"] == 0
    code, out, _ = run("append", "--lines", stdin='{"kind":"note","n":1}\nsecond\n\nthird\n')
    assert code == 0 and [json.loads(line)["index"] for line in out.splitlines()] == [1, 2, 3]
    code, out, _ = run("show")
    head = json.loads(out)
    assert code == 0 and head["size"] == 4 and head["checkpoints"] == 0
    assert json.loads(run("show", "1")[1])["record"] == {"kind": "note", "n": 1}
    assert json.loads(run("show", "0")[1])["data_base64"] == "AP9iaW5hcnk="
    code, note, _ = run("checkpoint")
    assert code == 0 and note.split("\n")[1] == "4" and "\n\n— " in note
    code, out, _ = run("prove", "2", "--checkpoint")
    proof = json.loads(out)
    assert code == 0 and proof["tree_size"] == 4 and proof["checkpoint"] == note
    code, out, _ = run("consistency", "1", "4")
    assert code == 0 and json.loads(out)["old_size"] == 1
    code, out, _ = run("verify")
    assert code == 0 and out.startswith("ok: 4 entries")
    code, out, _ = run("verify", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    assert run("prove", "9")[0] == 2
    assert run("append", stdin="")[0] == 2


def test_verify_exits_1_and_names_each_problem(soundproof_home: Path) -> None:
    run("keys", "generate")
    run("append", "--lines", stdin="".join(f"entry {i}\n" for i in range(10)))
    run("checkpoint")
    url = get_settings().ledger_database_url
    leaves = ledger_tables().leaves
    engine = make_ledger_engine(url)
    with engine.begin() as conn:
        conn.execute(update(leaves).where(leaves.c.idx == 4).values(data=b"entry X"))
    engine.dispose()
    code, out, _ = run("verify")
    assert code == 1
    assert "problem: leaf 4: stored hash does not match its data" in out.splitlines()
    assert "problem: checkpoint 1 (size 10): root does not match the log" in out.splitlines()
    assert out.splitlines()[-1].startswith("FAILED: 10 entries")


def _attest(tmp_path: Path) -> tuple[str, Path, Path]:
    """An attestation, a JWKS file and a checkpointed proof, made through the API and CLI."""
    run("keys", "generate")
    with Ledger.open() as ledger:
        ledger.append_many([b"a", b"b", b"c"])
        token = ledger.attest_verdict(ROW).token
        ledger.append(b"d")
    run("checkpoint")
    proof = tmp_path / "proof.json"
    proof.write_text(run("prove", "3", "--checkpoint")[1])
    jwks = tmp_path / "jwks.json"
    assert run("keys", "jwks", "-o", str(jwks))[0] == 0
    return token, jwks, proof


def test_verify_attestation_fully_offline(tmp_path: Path) -> None:
    token, jwks, proof = _attest(tmp_path)
    empty_home = tmp_path / "empty-home"
    empty_home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SOUNDPROOF_")},
        "SOUNDPROOF_HOME": str(empty_home),
    }

    def offline(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "soundproof.cli.main", "ledger", *argv],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = offline("verify-attestation", token, "--jwks", str(jwks), "--proof", str(proof))
    assert done.returncode == 0, done.stderr
    claims = json.loads(done.stdout)
    assert claims["content_hash"] == ROW["content_hash"] and claims["log_index"] == 3
    assert "is in the log at checkpoint size 5" in done.stderr
    done = offline("verify-attestation", "-", "--jwks", str(jwks), stdin=token + "\n")
    assert done.returncode == 0, done.stderr
    assert list(empty_home.iterdir()) == []  # no database, no key ring: nothing was opened

    head, payload, signature = token.split(".")
    forged = f"{head}.{payload[:-3]}{'AAA' if payload[-3:] != 'AAA' else 'BBB'}.{signature}"
    done = offline("verify-attestation", forged, "--jwks", str(jwks))
    assert done.returncode == 1 and done.stderr.startswith("error: ")
    done = offline("verify-attestation", "garbage", "--jwks", str(jwks))
    assert done.returncode == 1
    done = offline("verify-attestation", token, "--jwks", str(tmp_path / "absent.json"))
    assert done.returncode == 2 and "cannot read the JWKS" in done.stderr
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"keys": [SigningKey.generate().public.jwk()]}))
    done = offline("verify-attestation", token, "--jwks", str(other))
    assert done.returncode == 1 and "do not hold" in done.stderr
    assert list(empty_home.iterdir()) == []


def test_rotation_through_the_cli(tmp_path: Path) -> None:
    token, _, _ = _attest(tmp_path)
    first = run("keys", "list")[1].split()[0]
    code, out, err = run("keys", "rotate")
    assert code == 0 and "retired " + first in err
    listed = [line.split() for line in run("keys", "list")[1].splitlines()]
    assert [(row[0], row[1]) for row in listed] == [(first, "retired"), (out.strip(), "active")]
    jwks = tmp_path / "after.json"
    run("keys", "jwks", "-o", str(jwks))
    assert len(json.loads(jwks.read_text())["keys"]) == 2
    code, _, _ = run("verify-attestation", token, "--jwks", str(jwks))
    assert code == 0  # signed by the retired key, still verifies
    code, note, _ = run("checkpoint")
    note_file = tmp_path / "cp.txt"
    note_file.write_text(note)
    assert run("verify", "--jwks", str(jwks))[0] == 0
    vkeys = run("keys", "vkey")[1].split()
    assert len(vkeys) == 2
    code, out, _ = run("verify-checkpoint", str(note_file), "--vkey", vkeys[1])
    assert code == 0 and json.loads(out)["size"] == 5
    code, _, err = run("verify-checkpoint", str(note_file), "--vkey", vkeys[0])
    assert code == 1 and "no signature by a known key" in err  # the retired key did not sign it
    assert run("verify-checkpoint", str(note_file), "--jwks", str(jwks))[0] == 0
    note_file.write_text(note.replace("\n5\n", "\n6\n"))
    assert run("verify-checkpoint", str(note_file), "--jwks", str(jwks))[0] == 1


def test_generate_twice_and_standalone_key_files(tmp_path: Path) -> None:
    assert run("keys", "generate")[0] == 0
    code, _, err = run("keys", "generate")
    assert code == 2 and "keys rotate" in err
    out_file = tmp_path / "standalone.pem"
    code, out, _ = run("keys", "generate", "--out", str(out_file))
    assert code == 0 and (out_file.stat().st_mode & 0o777) == 0o600
    assert "PRIVATE" not in out  # the secret goes to the file only


def test_a_world_readable_key_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "signing.pem"
    write_private_key_file(path, SigningKey.generate())
    path.chmod(0o644)
    monkeypatch.setenv("SOUNDPROOF_SIGNING_KEY_FILE", str(path))
    get_settings.cache_clear()
    run("append", stdin="x")
    code, out, err = run("checkpoint")
    assert code == 2 and out == ""
    assert "mode 0644" in err and f"chmod 600 {path}" in err


def test_reading_commands_need_an_existing_ledger(soundproof_home: Path) -> None:
    for argv in [("show",), ("verify",), ("prove", "0"), ("checkpoint",)]:
        code, _, err = run(*argv)
        assert code == 2 and "no ledger" in err
    assert not (soundproof_home / "ledger.db").exists()
    run("append", stdin="x")
    code, _, err = run("checkpoint")
    assert code == 2 and "keys generate" in err


def test_no_secret_in_any_output(tmp_path: Path) -> None:
    run("keys", "generate")
    ring = get_settings().keys_dir
    secret = next(ring.glob("*.pem")).read_text()
    body = secret.split("-----")[2].strip()
    outputs = [
        run("keys", "list"),
        run("keys", "jwks"),
        run("append", stdin="x"),
        run("checkpoint"),
        run("keys", "vkey"),
        run("show"),
    ]
    for _, out, err in outputs:
        assert body not in out and body not in err
    leaves = ledger_tables().leaves
    engine = make_ledger_engine(get_settings().ledger_database_url)
    with engine.connect() as conn:
        assert all(body.encode() not in row.data for row in conn.execute(select(leaves)))
    engine.dispose()
