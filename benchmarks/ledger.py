"""The provenance ledger: append throughput, proof sizes and speed, full verification.

Targets (issue 4), measured in this one run on one core (the process is pinned to a
single CPU), SQLite with ``synchronous=FULL`` (one fsync per batch):
  * appends: >= 10,000 entries/s with batching (batch sizes 1 to 10,000 shown);
  * inclusion proofs: ceil(log2 n) hashes at most, verified in < 0.2 ms;
  * verify: a full check of a 1,000,000-entry log in < 60 s.

    python benchmarks/ledger.py [--entries 1000000] [--append-entries 100000]

Entries are realistic verdict records (canonical JSON, about 200 bytes). Ratios are
against the bare SHA-256 cost of the same tree computed in memory, in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, write_section
from soundproof.config import Settings
from soundproof.ledger import Ledger, encode_record, verify_inclusion
from soundproof.ledger.keyring import KeyRing
from soundproof.ledger.merkle import root_from_leaf_hashes

MOMENT = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def record(i: int) -> bytes:
    """A verdict record like the ones `scan --sign` will log (about 200 bytes)."""
    return encode_record(
        "verdict",
        {
            "content_hash": hashlib.sha256(i.to_bytes(8, "big")).hexdigest(),
            "verdict": ("ai", "human", "uncertain")[i % 3],
            "p_ai": round((i % 1000) / 1000, 3),
            "model_version": "comb-logistic-1.1",
            "time": (MOMENT + dt.timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
        },
    )


def records(n: int, start: int = 0) -> Iterator[bytes]:
    return (record(i) for i in range(start, start + n))


def pin_to_one_core() -> str:
    """Run on a single CPU, so that 'per second on one core' means what it says."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def open_ledger(folder: Path, name: str) -> Ledger:
    settings = Settings(home=folder)
    return Ledger.open(
        f"sqlite:///{folder / name}", settings=settings, origin="bench.example/ledger"
    )


def append_rate(folder: Path, batch: int, total: int) -> float:
    """Entries per second appending ``total`` records in batches of ``batch``."""
    data = list(records(total))
    with open_ledger(folder, f"append-{batch}.db") as ledger:
        ledger.append(b"warm-up")
        start = time.perf_counter()
        ledger.append_many(data, batch_size=batch)
        seconds = time.perf_counter() - start
    return total / seconds


def hashing_floor(n: int) -> float:
    """Seconds to compute the whole tree of ``n`` records in memory (SHA-256 only)."""
    data = list(records(n))
    start = time.perf_counter()
    leaves = [hashlib.sha256(b"\x00" + item).digest() for item in data]
    root_from_leaf_hashes(leaves)
    return time.perf_counter() - start


def _verdict(rate: float, batch: int) -> str:
    if batch == 1:
        return "unbatched: one fsync per entry"
    return "met" if rate >= 10_000 else "below"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--append-entries", type=int, default=100_000)
    args = parser.parse_args()
    pinned = pin_to_one_core()
    print(f"{machine()}; {pinned}", flush=True)
    figures: dict[str, object] = {"pinned": pinned, "entries": args.entries}

    with tempfile.TemporaryDirectory(prefix="soundproof-bench-ledger-") as tmp:
        folder = Path(tmp)
        KeyRing(folder / "keys").generate()

        rates: dict[int, float] = {}
        for batch in (1, 100, 1_000, 10_000):
            total = 2_000 if batch == 1 else args.append_entries
            rates[batch] = append_rate(folder, batch, total)
            print(f"append, batches of {batch:>6,}: {rates[batch]:>9,.0f} entries/s", flush=True)
        figures["append_per_s"] = rates

        ledger = open_ledger(folder, "big.db")
        build = 0.0
        for offset in range(0, args.entries, 100_000):
            chunk = list(records(min(100_000, args.entries - offset), offset))
            start = time.perf_counter()  # appending only, not making the records
            ledger.append_many(chunk)
            build += time.perf_counter() - start
        ledger.checkpoint()
        print(
            f"built a {args.entries:,}-entry log in {build:.1f} s "
            f"({args.entries / build:,.0f} entries/s, batches of 10,000)",
            flush=True,
        )
        figures["build"] = {"seconds": build, "per_s": args.entries / build}

        rng = random.Random(0)
        proofs: dict[int, dict[str, float]] = {}
        sizes = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= args.entries]
        for n in sizes:
            indices = [rng.randrange(n) for _ in range(200)]
            start = time.perf_counter()
            built = [ledger.prove(index, n) for index in indices]
            prove_ms = (time.perf_counter() - start) / len(built) * 1000
            root = built[0].root
            lengths = [len(proof.hashes) for proof in built]
            timings = []
            for _ in range(5):
                start = time.perf_counter()
                for proof in built:
                    verify_inclusion(proof.index, n, proof.leaf_hash, proof.hashes, root)
                timings.append((time.perf_counter() - start) / len(built) * 1000)
            consistency = ledger.consistency(n // 2 + 1, n)
            proofs[n] = {
                "ceil_log2": math.ceil(math.log2(n)),
                "max_hashes": max(lengths),
                "mean_hashes": statistics.fmean(lengths),
                "prove_ms": prove_ms,
                "verify_ms": statistics.median(timings),
                "consistency_hashes": len(consistency.hashes),
            }
            print(
                f"n={n:>9,}: proof {max(lengths)} hashes max (ceil log2 n = "
                f"{proofs[n]['ceil_log2']}), made in {prove_ms:.2f} ms, "
                f"verified in {proofs[n]['verify_ms']:.3f} ms",
                flush=True,
            )
        figures["proofs"] = proofs

        start = time.perf_counter()
        report = ledger.verify()
        verify_s = time.perf_counter() - start
        ledger.close()
        assert report.ok, report.problems[:5]
        floor = hashing_floor(args.entries)
        figures["verify"] = {
            "seconds": verify_s,
            "leaves": report.leaves_checked,
            "nodes": report.nodes_checked,
            "checkpoints": report.checkpoints_checked,
            "hashing_floor_s": floor,
            "ratio": verify_s / floor,
        }
        print(
            f"verify {report.size:,} entries and {report.nodes_checked:,} nodes: "
            f"{verify_s:.1f} s ({verify_s / floor:.1f}x the in-memory hashing floor, "
            f"{floor:.1f} s)",
            flush=True,
        )
        db_mb = (folder / "big.db").stat().st_size / 1e6

    lines = [
        f"SQLite in WAL mode with `synchronous=FULL` (an fsync per committed batch), "
        f"{pinned}. Entries are verdict records in canonical JSON ({len(record(0))} bytes); "
        f"the {args.entries:,}-entry log takes {db_mb:,.0f} MB.",
        "",
        "| appends | entries/s | target >= 10,000/s with batching |",
        "|---|---|---|",
        *(
            f"| batches of {batch:,} | {rate:,.0f} | {_verdict(rate, batch)} |"
            for batch, rate in rates.items()
        ),
        f"| building the {args.entries:,}-entry log (batches of 10,000) "
        f"| {args.entries / build:,.0f} | {_verdict(args.entries / build, 10_000)} |",
        "",
        "| tree size n | ceil(log2 n) | proof hashes (max / mean) | make (from the db) "
        "| verify | consistency n/2+1 -> n |",
        "|---|---|---|---|---|---|",
        *(
            f"| {n:,} | {p['ceil_log2']:.0f} | {p['max_hashes']:.0f} / {p['mean_hashes']:.1f} "
            f"| {p['prove_ms']:.2f} ms | {p['verify_ms'] * 1000:.0f} µs (target < 200 µs) "
            f"| {p['consistency_hashes']:.0f} hashes |"
            for n, p in proofs.items()
        ),
        "",
        f"Full verify of {args.entries:,} entries ({report.nodes_checked:,} stored nodes, "
        f"{report.checkpoints_checked} checkpoint): {verify_s:.1f} s (target < 60 s), "
        f"{verify_s / floor:.1f}x the cost of only hashing the same tree in memory "
        f"({floor:.1f} s, no database).",
    ]
    write_section("Ledger", "\n".join(lines), figures)
    print("written to docs/benchmarks.md")


if __name__ == "__main__":
    main()
