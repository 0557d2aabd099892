"""``soundproof scan``: the JSONL contract, error rows, exit codes and error printing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from soundproof import __version__
from soundproof.cli.main import app
from soundproof.errors import SoundproofError

from ..contract import CONTRACT_KEYS


def invoke(*args: str | Path) -> Any:
    """Run the CLI in-process (stdout and stderr kept apart), in-process workers."""
    argv = [str(a) for a in args]
    if argv and argv[0] == "scan" and "--workers" not in argv:
        argv += ["--workers", "1"]
    return CliRunner().invoke(app, argv)


def rows_of(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def assert_contract(row: dict[str, Any]) -> None:
    assert row.keys() >= CONTRACT_KEYS
    assert isinstance(row["path"], str)
    assert row["verdict"] in {"ai", "human", "uncertain", "error"}
    assert row["p_ai"] is None or 0.0 <= row["p_ai"] <= 1.0
    assert row["explanation"] is None or isinstance(row["explanation"], dict)
    assert row["error"] is None or isinstance(row["error"], str)
    assert row["duration_s"] is None or row["duration_s"] >= 0
    for key in ("title", "artist", "isrc", "source", "platform"):
        assert row[key] is None or isinstance(row[key], str)
    assert row["position"] is None or (isinstance(row["position"], int) and row["position"] >= 1)
    if row["platform"] is not None or row["position"] is not None:
        assert row["source"] is not None  # both describe the playlist named in ``source``
    if row["verdict"] == "error":
        assert row["error"]


def test_jsonl_rows_follow_the_contract_and_a_corrupt_file_is_an_error_row(
    batch: Path, good_files: list[Path], broken_file: Path
) -> None:
    result = invoke("scan", batch, "--format", "jsonl", "--no-progress")
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    assert sorted(r["path"] for r in rows) == sorted(map(str, [*good_files, broken_file]))
    for row in rows:
        assert_contract(row)
    by_path = {r["path"]: r for r in rows}
    assert by_path[str(broken_file)]["verdict"] == "error"
    for path in good_files:
        assert by_path[str(path)]["verdict"] != "error", by_path[str(path)]
    assert "3 tracks" in result.stderr


def test_missing_path_is_an_error_row_and_the_scan_goes_on(
    good_files: list[Path], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.flac"
    result = invoke("scan", missing, good_files[0], "--format", "jsonl", "--no-progress")
    assert result.exit_code == 0
    rows = rows_of(result.stdout)
    assert [r["verdict"] == "error" for r in rows] == [True, False]
    assert rows[0]["path"] == str(missing)


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [
        ([], 0),
        (["--fail-on", "error"], 1),
        (["--fail-on", "ai", "--fail-on", "error"], 1),
    ],
)
def test_exit_codes_with_fail_on(batch: Path, fail_on: list[str], expected: int) -> None:
    result = invoke("scan", batch, "--format", "jsonl", "--no-progress", *fail_on)
    assert result.exit_code == expected


def test_fail_on_matches_the_verdicts_actually_found(good_files: list[Path]) -> None:
    result = invoke("scan", *good_files, "--format", "jsonl", "--no-progress")
    found = {r["verdict"] for r in rows_of(result.stdout)}
    for label in ("ai", "uncertain", "error"):
        code = invoke("scan", *good_files, "-f", "jsonl", "--fail-on", label).exit_code
        assert code == (1 if label in found else 0)


def test_exit_2_when_no_input_is_usable(tmp_path: Path, broken_file: Path) -> None:
    result = invoke("scan", tmp_path / "a.mp3", tmp_path / "b.mp3", "--format", "jsonl")
    assert result.exit_code == 2
    assert len(rows_of(result.stdout)) == 2
    assert "error: no usable input" in result.stderr
    assert invoke("scan", broken_file, "--fail-on", "error").exit_code == 2
    (tmp_path / "empty").mkdir()
    result = invoke("scan", tmp_path / "empty")
    assert result.exit_code == 2 and "no audio files found" in result.stderr


def test_usage_errors_exit_2(good_files: list[Path]) -> None:
    assert invoke("scan").exit_code == 2
    assert invoke("scan", good_files[0], "--format", "xml").exit_code == 2
    assert invoke("scan", good_files[0], "--fail-on", "human").exit_code == 2
    assert invoke("scan", good_files[0], "--workers", "-1").exit_code == 2


def test_soundproof_error_prints_one_line_without_traceback(
    good_files: list[Path], tmp_path: Path
) -> None:
    bad_model = tmp_path / "model.json"
    bad_model.write_text("{not json", encoding="utf-8")
    result = invoke("scan", good_files[0], "--model", bad_model, "--no-progress")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    result = invoke("scan", good_files[0], "-o", tmp_path / "no" / "such" / "dir" / "x.jsonl")
    assert result.exit_code == 2
    assert "error: cannot write" in result.stderr and "Traceback" not in result.output


def test_debug_shows_the_exception(good_files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "no" / "dir" / "x.jsonl"
    result = invoke("scan", good_files[0], "-o", out, "--debug")
    assert isinstance(result.exception, SoundproofError)
    result = invoke("--debug", "scan", good_files[0], "-o", out, "--workers", "1")
    assert isinstance(result.exception, SoundproofError)


def test_table_output_and_output_file(batch: Path, broken_file: Path, tmp_path: Path) -> None:
    result = invoke("scan", batch, "--no-progress")
    assert result.exit_code == 0
    assert "broken.mp3" in result.stdout and "error" in result.stdout
    assert "3 tracks:" in result.stdout
    out = tmp_path / "report.jsonl"
    result = invoke("scan", batch, "-f", "jsonl", "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert len(rows_of(out.read_text(encoding="utf-8"))) == 3


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.stdout


def test_real_process_pool_via_subprocess(batch: Path, broken_file: Path) -> None:
    """The console entry point with two worker processes, as a user would run it."""
    argv = ["scan", str(batch), "-f", "jsonl", "--workers", "2", "--ordered", "--fail-on", "error"]
    proc = subprocess.run(
        [sys.executable, "-m", "soundproof.cli.main", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    rows = rows_of(proc.stdout)
    assert [Path(r["path"]).parent.name for r in rows] == ["ai", batch.name, "human"]
    for row in rows:
        assert_contract(row)
    assert {r["path"]: r["verdict"] for r in rows}[str(broken_file)] == "error"
    assert "Traceback" not in proc.stderr
