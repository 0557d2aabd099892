"""The stored log on SQLite and PostgreSQL: appends, proofs, checkpoints, verify, tampering."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, update

from soundproof.config import get_settings
from soundproof.ledger import Ledger, LedgerError, leaf_hash, open_checkpoint_with_keys
from soundproof.ledger.db import ledger_tables
from soundproof.ledger.keyring import KeyRing
from soundproof.ledger.merkle import EMPTY_ROOT, verify_consistency, verify_inclusion
from tests.ledger import reference
from tests.ledger.conftest import Backend

OpenLedger = Callable[..., Ledger]


@pytest.fixture(autouse=True)
def signing_key() -> None:
    """Every test here may sign: a key ring in the test's SOUNDPROOF_HOME."""
    KeyRing.from_settings(get_settings()).generate()


def _entries(n: int, tag: str = "e") -> list[bytes]:
    return [f"{tag}-{i}".encode() * (1 + i % 4) for i in range(n)]


def test_appends_get_consecutive_indices_and_rfc_hashes(open_ledger: OpenLedger) -> None:
    ledger = open_ledger()
    assert ledger.size == 0 and ledger.head().root == EMPTY_ROOT
    first = ledger.append(b"first")
    assert (first.index, first.leaf_hash) == (0, leaf_hash(b"first"))
    data = _entries(100)
    entries = ledger.append_many(data, batch_size=7)
    assert [entry.index for entry in entries] == list(range(1, 101))
    assert [entry.leaf_hash for entry in entries] == [leaf_hash(item) for item in data]
    assert ledger.size == 101
    assert ledger.head().root == reference.mth([b"first", *data])
    assert ledger.root(50) == reference.mth([b"first", *data][:50])
    assert ledger.leaf(7).data == data[6]
    assert ledger.append_many([]) == []
    with pytest.raises(LedgerError, match="no entry 101"):
        ledger.leaf(101)


def test_every_stored_proof_matches_the_reference(open_ledger: OpenLedger) -> None:
    ledger = open_ledger()
    data = _entries(64)
    for item in data:  # one by one: every size 1..64 was a committed state
        ledger.append(item)
    for size in range(1, 65):
        root = reference.mth(data[:size])
        assert ledger.root(size) == root
        for index in range(size):
            proof = ledger.prove(index, size)
            assert list(proof.hashes) == reference.path(index, data[:size]), (index, size)
            verify_inclusion(index, size, leaf_hash(data[index]), proof.hashes, root)
        for old in range(0, size + 1):
            consistency = ledger.consistency(old, size)
            expected = reference.proof(old, data[:size]) if old else []
            assert list(consistency.hashes) == expected, (old, size)
            verify_consistency(old, size, reference.mth(data[:old]), root, consistency.hashes)
    with pytest.raises(LedgerError):
        ledger.prove(64, 64)
    with pytest.raises(LedgerError):
        ledger.prove(0, 65)
    with pytest.raises(LedgerError):
        ledger.consistency(10, 5)


def test_checkpoints_are_signed_stored_and_verifiable(open_ledger: OpenLedger) -> None:
    ledger = open_ledger(origin="example.com/test-log")
    ledger.append_many(_entries(40))
    stored = ledger.checkpoint()
    assert stored.size == 40 and stored.root == ledger.root(40)
    assert stored.note.startswith("example.com/test-log\n40\n")
    opened = open_checkpoint_with_keys(stored.note, ledger.public_keys(), origin=ledger.origin)
    assert (opened.size, opened.root) == (40, stored.root)
    proof = ledger.prove(39, checkpoint=True)
    assert proof.checkpoint == stored.note and proof.tree_size == 40
    ledger.append(b"later")
    with pytest.raises(LedgerError, match="after the latest checkpoint"):
        ledger.prove(40, checkpoint=True)
    assert [c.id for c in ledger.checkpoints()] == [stored.id]
    latest = ledger.latest_checkpoint()
    assert latest is not None and latest.size == 40


def test_origin_is_kept_with_the_log(open_ledger: OpenLedger) -> None:
    ledger = open_ledger(origin="example.com/a")
    ledger.append(b"x")
    assert open_ledger().origin == "example.com/a"
    with pytest.raises(LedgerError, match=r"example\.com/a"):
        open_ledger(origin="example.com/b")


def test_opening_without_create_never_makes_a_database(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(LedgerError, match="no ledger"):
        Ledger.open(f"sqlite:///{path}", create=False)
    assert not path.exists()


def test_verify_is_clean_on_an_untouched_log(open_ledger: OpenLedger) -> None:
    ledger = open_ledger()
    for batch in range(5):
        ledger.append_many(_entries(37, f"b{batch}"))
        ledger.checkpoint()
    report = ledger.verify()
    assert report.ok, report.problems
    assert report.size == 185 and report.leaves_checked == 185
    assert report.nodes_checked == sum(185 >> level for level in range(1, 9))
    assert report.checkpoints_checked == 5 and report.root == ledger.head().root


def test_concurrent_appenders_never_share_an_index(open_ledger: OpenLedger) -> None:
    ledger = open_ledger()
    results: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            own = open_ledger()
            indices = []
            for round_ in range(10):
                batch = [f"{name}-{round_}-{k}".encode() for k in range(5)]
                indices += [entry.index for entry in own.append_many(batch)]
            results[name] = indices
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    every = sorted(index for indices in results.values() for index in indices)
    assert every == list(range(200))
    for name, indices in results.items():  # each writer's entries are where it was told
        for position, index in enumerate(indices):
            assert ledger.leaf(index).data == f"{name}-{position // 5}-{position % 5}".encode()
    assert ledger.verify().ok


# -- tampering: every change is caught and named --------------------------------------------


def _tampered_log(open_ledger: OpenLedger) -> Ledger:
    """64 entries, checkpoints at sizes 20, 40 and 64."""
    ledger = open_ledger()
    data = _entries(64)
    ledger.append_many(data[:20])
    ledger.checkpoint()
    ledger.append_many(data[20:40])
    ledger.checkpoint()
    ledger.append_many(data[40:])
    ledger.checkpoint()
    assert ledger.verify().ok
    return ledger


def _flip(value: bytes, position: int = 0) -> bytes:
    return value[:position] + bytes([value[position] ^ 0x01]) + value[position + 1 :]


def _problems(ledger: Ledger) -> list[str]:
    report = ledger.verify()
    assert not report.ok
    return [str(problem) for problem in report.problems]


def test_a_changed_leaf_byte_is_named(open_ledger: OpenLedger, backend: Backend) -> None:
    ledger = _tampered_log(open_ledger)
    tables, engine = ledger_tables(backend.prefix), backend.engine()
    with engine.begin() as conn:
        data = conn.execute(
            select(tables.leaves.c.data).where(tables.leaves.c.idx == 17)
        ).scalar_one()
        conn.execute(
            update(tables.leaves).where(tables.leaves.c.idx == 17).values(data=_flip(data, 3))
        )
    engine.dispose()
    problems = _problems(ledger)
    assert "leaf 17: stored hash does not match its data" in problems
    assert "checkpoint 1 (size 20): root does not match the log" in problems
    assert "checkpoint 3 (size 64): root does not match the log" in problems
    assert not any(p.startswith("node") for p in problems)  # consequences are not blamed


def test_a_changed_leaf_hash_is_named(open_ledger: OpenLedger, backend: Backend) -> None:
    ledger = _tampered_log(open_ledger)
    tables, engine = ledger_tables(backend.prefix), backend.engine()
    with engine.begin() as conn:
        value = conn.execute(
            select(tables.leaves.c.hash).where(tables.leaves.c.idx == 50)
        ).scalar_one()
        conn.execute(
            update(tables.leaves).where(tables.leaves.c.idx == 50).values(hash=_flip(value, 31))
        )
    engine.dispose()
    assert _problems(ledger) == ["leaf 50: stored hash does not match its data"]


def test_a_changed_node_byte_is_named(open_ledger: OpenLedger, backend: Backend) -> None:
    ledger = _tampered_log(open_ledger)
    tables, engine = ledger_tables(backend.prefix), backend.engine()
    nodes = tables.nodes
    where = (nodes.c.level == 2) & (nodes.c.idx == 3)
    with engine.begin() as conn:
        value = conn.execute(select(nodes.c.hash).where(where)).scalar_one()
        conn.execute(update(nodes).where(where).values(hash=_flip(value, 10)))
    engine.dispose()
    assert _problems(ledger) == [
        "node (level 2, index 3): stored hash is corrupt (the hashes below and above agree)"
    ]


def test_a_changed_checkpoint_byte_is_named(open_ledger: OpenLedger, backend: Backend) -> None:
    ledger = _tampered_log(open_ledger)
    tables, engine = ledger_tables(backend.prefix), backend.engine()
    checkpoints = tables.checkpoints
    with engine.begin() as conn:
        note = conn.execute(select(checkpoints.c.note).where(checkpoints.c.id == 2)).scalar_one()
        altered = note.replace("\n40\n", "\n41\n")  # one byte of the signed text
        conn.execute(update(checkpoints).where(checkpoints.c.id == 2).values(note=altered))
        root = conn.execute(select(checkpoints.c.root).where(checkpoints.c.id == 3)).scalar_one()
        conn.execute(update(checkpoints).where(checkpoints.c.id == 3).values(root=_flip(root)))
    engine.dispose()
    problems = _problems(ledger)
    assert problems == [
        "checkpoint 2 (size 40): signature invalid",
        "checkpoint 3 (size 64): stored root differs from the signed note's root",
    ]


def test_a_changed_checkpoint_signature_byte_is_named(
    open_ledger: OpenLedger, backend: Backend
) -> None:
    ledger = _tampered_log(open_ledger)
    tables, engine = ledger_tables(backend.prefix), backend.engine()
    checkpoints = tables.checkpoints
    with engine.begin() as conn:
        note = conn.execute(select(checkpoints.c.note).where(checkpoints.c.id == 1)).scalar_one()
        body, line = note.split("\n\n")
        blob = line.split(" ")[2]
        position = 20  # inside the signature, after the 4-byte key ID
        swapped = blob[:position] + ("A" if blob[position] != "A" else "B") + blob[position + 1 :]
        conn.execute(
            update(checkpoints)
            .where(checkpoints.c.id == 1)
            .values(note=f"{body}\n\n{line.replace(blob, swapped)}")
        )
    engine.dispose()
    assert _problems(ledger) == ["checkpoint 1 (size 20): signature invalid"]


def _swap_rows(backend: Backend, first: int, second: int) -> None:
    leaves = ledger_tables(backend.prefix).leaves
    engine = backend.engine()
    with engine.begin() as conn:
        rows = {
            int(row.idx): (row.hash, row.data)
            for row in conn.execute(select(leaves).where(leaves.c.idx.in_([first, second])))
        }
        for here, there in [(first, second), (second, first)]:
            conn.execute(
                update(leaves)
                .where(leaves.c.idx == here)
                .values(hash=rows[there][0], data=rows[there][1])
            )
    engine.dispose()


def test_two_reordered_leaves_are_named(open_ledger: OpenLedger, backend: Backend) -> None:
    ledger = _tampered_log(open_ledger)
    _swap_rows(backend, 25, 42)  # whole rows: each leaf's data still matches its hash
    problems = _problems(ledger)
    assert "leaf 25: out of order: the entry appended at index 25 is now at 42" in problems
    assert "leaf 42: out of order: the entry appended at index 42 is now at 25" in problems
    assert "checkpoint 2 (size 40): root does not match the log" in problems
    assert "checkpoint 3 (size 64): root does not match the log" in problems
    assert "checkpoint 1 (size 20): root does not match the log" not in problems


def test_two_neighbours_swapped_are_named(open_ledger: OpenLedger, backend: Backend) -> None:
    ledger = _tampered_log(open_ledger)
    _swap_rows(backend, 10, 11)
    problems = _problems(ledger)
    assert "leaves 10 and 11: swapped (out of order)" in problems


def test_a_deleted_leaf_is_named(open_ledger: OpenLedger, backend: Backend) -> None:
    ledger = _tampered_log(open_ledger)
    leaves = ledger_tables(backend.prefix).leaves
    engine = backend.engine()
    with engine.begin() as conn:
        conn.execute(leaves.delete().where(leaves.c.idx == 33))
    engine.dispose()
    assert "leaf 33: missing" in _problems(ledger)


def test_checkpoints_need_a_known_key(open_ledger: OpenLedger) -> None:
    ledger = _tampered_log(open_ledger)
    report = ledger.verify(keys=[])
    assert [str(p) for p in report.problems] == [
        f"checkpoint {n} (size {size}): signed by no known key (or its key ID was altered)"
        for n, size in [(1, 20), (2, 40), (3, 64)]
    ]


def test_no_checkpoint_is_signed_over_a_forked_tree(
    open_ledger: OpenLedger, backend: Backend
) -> None:
    ledger = _tampered_log(open_ledger)  # last checkpoint at 64: one perfect subtree
    ledger.append_many(_entries(3, "more"))
    nodes = ledger_tables(backend.prefix).nodes
    engine = backend.engine()
    where = (nodes.c.level == 6) & (nodes.c.idx == 0)
    with engine.begin() as conn:
        value = conn.execute(select(nodes.c.hash).where(where)).scalar_one()
        conn.execute(update(nodes).where(where).values(hash=_flip(value)))
    engine.dispose()
    with pytest.raises(LedgerError, match="no longer matches checkpoint 3"):
        ledger.checkpoint()
    assert len(ledger.checkpoints()) == 3
