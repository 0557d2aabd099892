"""``soundproof scan --sign``: every verdict logged in the ledger, its row signed."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from soundproof.cli.main import app
from soundproof.config import get_settings
from soundproof.ledger import KeyRing, Ledger, decode_record, load_jwks
from soundproof.ledger.attestation import verify_attestation


def _scan_signed(*paths: Path) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(
        app, ["scan", *map(str, paths), "--sign", "--format", "jsonl", "--no-progress"]
    )
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, rows, result.stderr


def test_sign_without_a_key_stops_before_scanning(batch: Path) -> None:
    code, rows, err = _scan_signed(batch)
    assert code == 2
    assert rows == []
    assert "soundproof ledger keys generate" in err


def test_signed_rows_verify_offline_and_are_in_the_log(batch: Path, tmp_path: Path) -> None:
    KeyRing(get_settings().keys_dir).generate()
    code, rows, err = _scan_signed(batch)
    assert code == 0
    verdicts = [r for r in rows if r["verdict"] != "error"]
    errors = [r for r in rows if r["verdict"] == "error"]
    assert verdicts and errors
    assert all(r["attestation"] is None and r["log_index"] is None for r in errors)
    assert sorted(r["log_index"] for r in verdicts) == list(range(len(verdicts)))  # type: ignore[type-var]
    assert f"signed {len(verdicts)} verdicts" in err

    jwks = tmp_path / "jwks.json"
    assert CliRunner().invoke(app, ["ledger", "keys", "jwks", "-o", str(jwks)]).exit_code == 0
    keys = load_jwks(jwks)
    with Ledger.open() as ledger:
        assert ledger.size == len(verdicts)
        ledger.checkpoint()
        for row in verdicts:
            index = row["log_index"]
            assert isinstance(index, int) and isinstance(row["attestation"], str)
            proof = ledger.prove(index, checkpoint=True)
            checked = verify_attestation(row["attestation"], keys, proof=proof)
            assert checked.included
            for name in ("content_hash", "verdict", "p_ai", "model_version"):
                assert checked.claims[name] == row[name]
            record = decode_record(ledger.leaf(index).data)
            assert record["content_hash"] == row["content_hash"]
        assert ledger.verify().ok


def test_a_rescan_logs_the_remembered_verdicts_again(batch: Path) -> None:
    KeyRing(get_settings().keys_dir).generate()
    _, first, _ = _scan_signed(batch)
    _, second, _ = _scan_signed(batch)
    signed = [r for r in first if r["log_index"] is not None]
    again = [r for r in second if r["log_index"] is not None]
    assert len(again) == len(signed)
    assert min(r["log_index"] for r in again) == len(signed)  # type: ignore[type-var]
    with Ledger.open() as ledger:
        assert ledger.size == 2 * len(signed)
