"""Real processes: an appender killed with SIGKILL loses nothing it acknowledged, and
several appender processes at once never share an index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from soundproof.ledger import Ledger
from tests.ledger.conftest import Backend

APPENDER = """
import sys
from soundproof.ledger import Ledger

url, prefix, tag, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ledger = Ledger.open(url, table_prefix=prefix, origin="test.example/durability")
sequence = 0
while rounds < 0 or sequence < rounds * 25:
    batch = [f"{tag}-{sequence + k}".encode() for k in range(25)]
    for entry, data in zip(ledger.append_many(batch), batch):
        print(entry.index, data.decode(), flush=True)  # acknowledged: the batch committed
    sequence += 25
"""

ACKNOWLEDGED = 1000


def _start(script: Path, backend: Backend, tag: str, rounds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), backend.url, backend.prefix, tag, str(rounds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_loses_no_acknowledged_entry(backend: Backend, tmp_path: Path) -> None:
    script = tmp_path / "appender.py"
    script.write_text(APPENDER)
    Ledger.open(backend.url, table_prefix=backend.prefix, origin="test.example/durability").close()
    process = _start(script, backend, "k", rounds=-1)  # appends until killed
    assert process.stdout is not None
    acknowledged: dict[int, str] = {}
    deadline = time.monotonic() + 300
    while len(acknowledged) < ACKNOWLEDGED and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        number, data = line.split()
        acknowledged[int(number)] = data
    os.kill(process.pid, signal.SIGKILL)
    rest, errors = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, errors
    for line in rest.splitlines():  # printed before the kill: acknowledged too
        if len(line.split()) == 2:
            number, data = line.split()
            acknowledged[int(number)] = data
    assert len(acknowledged) >= ACKNOWLEDGED, errors

    with Ledger.open(backend.url, table_prefix=backend.prefix) as ledger:
        assert ledger.size >= max(acknowledged) + 1
        for index, data in acknowledged.items():
            assert ledger.leaf(index).data == data.encode()
        report = ledger.verify()
        assert report.ok, report.problems
        # and the log goes on after the crash
        assert ledger.append(b"after the crash").index == report.size
        assert ledger.verify().ok


def test_appender_processes_at_once_share_no_index(backend: Backend, tmp_path: Path) -> None:
    script = tmp_path / "appender.py"
    script.write_text(APPENDER)
    Ledger.open(backend.url, table_prefix=backend.prefix, origin="test.example/durability").close()
    processes = [_start(script, backend, f"p{n}", rounds=40) for n in range(3)]
    seen: dict[int, str] = {}
    for process in processes:
        out, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
        for line in out.splitlines():
            number, data = line.split()
            assert int(number) not in seen, f"index {number} given twice"
            seen[int(number)] = data
    assert sorted(seen) == list(range(3 * 40 * 25))
    with Ledger.open(backend.url, table_prefix=backend.prefix) as ledger:
        assert ledger.size == 3000
        for index, data in seen.items():
            assert ledger.leaf(index).data == data.encode()
        assert ledger.verify().ok
