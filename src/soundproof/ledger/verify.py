"""Full verification of a stored log: recompute everything, name every difference.

One pass over the leaves in index order, in chunks of 2**16 aligned entries, inside a
single read snapshot. For each chunk: hash every entry (``SHA-256(0x00 || data)``)
and compare with its stored leaf hash; build each perfect subtree above the chunk
level by level and compare with the stored node hashes (one range query per level);
keep the few subtree hashes that checkpoint roots need. Chunk roots then climb the
levels above. Memory is O(chunk + log n); reads are sequential; no ORM objects.

Then every stored checkpoint: its note's signature (by any known key, retired ones
included), its text against its row, and its root against the recomputed tree at
its size.

Every difference becomes a :class:`Problem` naming what is wrong, e.g.
``leaf 17: stored hash does not match its data``, ``node (level 2, index 3): stored
hash is corrupt``, ``checkpoint 4 (size 40): signature invalid``. A changed node is
told apart from changed leaves by its neighbours: if the leaves under a node agree
with the nodes below it and the node above agrees with them too, the node itself was
altered; if every node up the path disagrees, the leaves changed, and a pair of
moved or swapped entries is recognised and named as such.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from soundproof.ledger.checkpoint import open_checkpoint
from soundproof.ledger.errors import (
    CheckpointError,
    NoteError,
    NoteSignatureError,
    UnknownNoteKeyError,
)
from soundproof.ledger.keys import PublicKey
from soundproof.ledger.merkle import EMPTY_ROOT, NodeId, fold, node_hash, subtree_nodes
from soundproof.ledger.note import verifiers_for
from soundproof.ledger.store import LogStore, StoredCheckpoint, describe_node

CHUNK_LEVEL = 16
"""Entries are read and hashed 2**CHUNK_LEVEL at a time."""

MAX_PROBLEMS = 1000
"""Problems listed in a report; more are only counted."""

MAX_MOVE_SEARCH = 2000
"""Above this many altered leaf pairs, moved entries are not searched for."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the stored log: what (``subject``) and how (``message``)."""

    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


@dataclass
class VerifyReport:
    """What :func:`verify_log` checked and found. ``ok`` when nothing is wrong."""

    origin: str
    size: int
    root: bytes = EMPTY_ROOT
    leaves_checked: int = 0
    nodes_checked: int = 0
    checkpoints_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    omitted: int = 0

    @property
    def ok(self) -> bool:
        """True when every leaf, node and checkpoint checked out."""
        return not self.problems and not self.omitted

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON object (problems as ``"subject: message"`` strings)."""
        return {
            "ok": self.ok,
            "origin": self.origin,
            "size": self.size,
            "root": self.root.hex(),
            "leaves_checked": self.leaves_checked,
            "nodes_checked": self.nodes_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "problems": [str(problem) for problem in self.problems],
            "problems_omitted": self.omitted,
        }


class _Pass:
    """The state of one verification pass (see the module docstring)."""

    def __init__(
        self, store: LogStore, conn: Connection, report: VerifyReport, needed_sizes: set[int]
    ) -> None:
        self.store = store
        self.conn = conn
        self.report = report
        self.size = report.size
        self.bad_leaves: list[int] = []  # ascending
        self.missing_nodes: set[NodeId] = set()
        self.mismatched: dict[NodeId, bytes] = {}  # node -> stored hash
        self.pairs: dict[int, tuple[bytes, bytes]] = {}  # level-1 index -> computed children
        self.tail: tuple[int, bytes] | None = None  # the last leaf when the size is odd
        wanted: dict[int, set[int]] = {}
        for size in needed_sizes:
            for level, index in subtree_nodes(0, size):
                wanted.setdefault(level, set()).add(index)
        self.wanted = {level: sorted(indices) for level, indices in wanted.items()}
        self.captured: dict[NodeId, bytes] = {}

    def problem(self, subject: str, message: str) -> None:
        if len(self.report.problems) < MAX_PROBLEMS:
            self.report.problems.append(Problem(subject, message))
        else:
            self.report.omitted += 1

    # -- leaves and nodes ------------------------------------------------------------

    def run_tree(self) -> None:
        chunk = 1 << CHUNK_LEVEL
        tops: list[bytes] = []
        for start in range(0, self.size, chunk):
            end = min(start + chunk, self.size)
            hashes = self.leaf_level(start, end)
            if end == self.size and self.size % 2:
                self.tail = (end - 1, hashes[-1])
            top = self.climb(hashes, 0, start)
            if end - start == chunk:
                tops.append(top[0])
        if len(tops) > 1:
            self.climb(tops, CHUNK_LEVEL, 0)

    def leaf_level(self, start: int, end: int) -> list[bytes]:
        leaves = self.store.tables.leaves
        rows = self.conn.execute(
            select(leaves.c.idx, leaves.c.hash, leaves.c.data)
            .where(leaves.c.idx >= start, leaves.c.idx < end)
            .order_by(leaves.c.idx)
        ).all()
        self.report.leaves_checked += len(rows)
        sha256 = hashlib.sha256
        computed: list[bytes] = []
        if len(rows) == end - start:  # unique indices in [start, end): all there, in order
            for index, stored, data in rows:
                value = sha256(b"\x00" + data).digest()
                computed.append(value)
                if value != stored:
                    self.bad_leaf(index, "stored hash does not match its data")
        else:
            present = {int(index): (stored, data) for index, stored, data in rows}
            for index in range(start, end):
                row = present.get(index)
                if row is None:
                    self.bad_leaf(index, "missing")
                    computed.append(EMPTY_ROOT)  # a placeholder; its ancestors are moot
                    continue
                value = sha256(b"\x00" + row[1]).digest()
                computed.append(value)
                if value != row[0]:
                    self.bad_leaf(index, "stored hash does not match its data")
        self.capture(0, start, computed)
        return computed

    def bad_leaf(self, index: int, message: str) -> None:
        self.bad_leaves.append(index)
        self.problem(f"leaf {index}", message)

    def climb(self, hashes: list[bytes], level: int, first: int) -> list[bytes]:
        """Hash ``hashes`` (level ``level``, from index ``first``) up while pairs remain."""
        sha256 = hashlib.sha256
        while len(hashes) > 1:
            above = [
                sha256(b"\x01" + left + right).digest()
                for left, right in zip(hashes[0::2], hashes[1::2], strict=False)
            ]
            level, first = level + 1, first >> 1
            for offset in self.compare(level, first, above):
                if level == 1:
                    self.pairs[first + offset] = (hashes[2 * offset], hashes[2 * offset + 1])
            self.capture(level, first, above)
            hashes = above
        return hashes

    def compare(self, level: int, first: int, computed: list[bytes]) -> list[int]:
        """Compare with the stored nodes; offsets (from ``first``) of mismatched ones."""
        nodes = self.store.tables.nodes
        rows = self.conn.execute(
            select(nodes.c.idx, nodes.c.hash)
            .where(nodes.c.level == level, nodes.c.idx >= first)
            .where(nodes.c.idx < first + len(computed))
            .order_by(nodes.c.idx)
        ).all()
        self.report.nodes_checked += len(rows)
        mismatched: list[int] = []
        if len(rows) == len(computed):
            stored = [row[1] for row in rows]
            if stored == computed:
                return mismatched
            for offset, (have, want) in enumerate(zip(stored, computed, strict=True)):
                if have != want:
                    self.mismatched[(level, first + offset)] = bytes(have)
                    mismatched.append(offset)
            return mismatched
        present = {int(index): bytes(value) for index, value in rows}
        for offset, want in enumerate(computed):
            node = (level, first + offset)
            have = present.get(first + offset)
            if have is None:
                self.missing_nodes.add(node)
                self.problem(describe_node(node), "missing")
            elif have != want:
                self.mismatched[node] = have
                mismatched.append(offset)
        return mismatched

    def capture(self, level: int, first: int, hashes: list[bytes]) -> None:
        wanted = self.wanted.get(level)
        if not wanted:
            return
        low = bisect.bisect_left(wanted, first)
        high = bisect.bisect_left(wanted, first + len(hashes))
        for index in wanted[low:high]:
            self.captured[(level, index)] = hashes[index - first]

    def root(self, size: int) -> bytes:
        return fold([self.captured[node] for node in subtree_nodes(0, size)])

    # -- rows that should not be there ---------------------------------------------------

    def run_extras(self) -> None:
        leaves, nodes = self.store.tables.leaves, self.store.tables.nodes
        outside = (leaves.c.idx >= self.size) | (leaves.c.idx < 0)
        for (index,) in self.conn.execute(
            select(leaves.c.idx).where(outside).order_by(leaves.c.idx).limit(MAX_PROBLEMS)
        ):
            self.problem(f"leaf {index}", f"stored beyond the log size {self.size}")
        counts = self.conn.execute(
            select(nodes.c.level, func.count()).group_by(nodes.c.level)
        ).all()
        for level, count in counts:
            expected = self.size >> level if level >= 1 else 0
            if count <= expected - sum(1 for node in self.missing_nodes if node[0] == level):
                continue
            extra = (nodes.c.level == level) & ((nodes.c.idx >= expected) | (nodes.c.idx < 0))
            for (index,) in self.conn.execute(
                select(nodes.c.idx).where(extra).order_by(nodes.c.idx).limit(MAX_PROBLEMS)
            ):
                self.problem(
                    describe_node((int(level), int(index))),
                    f"not part of the log (beyond its size {self.size})",
                )

    # -- checkpoints ---------------------------------------------------------------------

    def run_checkpoints(
        self, checkpoints: Sequence[StoredCheckpoint], keys: Sequence[PublicKey]
    ) -> None:
        origin = self.report.origin
        verifiers = verifiers_for(origin, keys)
        for stored in checkpoints:
            self.report.checkpoints_checked += 1
            subject = f"checkpoint {stored.id} (size {stored.size})"
            signed_root = stored.root
            try:
                signed = open_checkpoint(stored.note, verifiers, origin=origin)
            except NoteSignatureError:
                self.problem(subject, "signature invalid")
            except UnknownNoteKeyError:
                self.problem(subject, "signed by no known key (or its key ID was altered)")
            except (NoteError, CheckpointError) as exc:
                self.problem(subject, f"note is malformed: {exc}")
            else:
                signed_root = signed.root
                if signed.size != stored.size:
                    self.problem(subject, f"the signed note says size {signed.size}")
                if signed.root != stored.root:
                    self.problem(subject, "stored root differs from the signed note's root")
            if stored.size > self.size:
                self.problem(subject, f"beyond the log size {self.size}")
            elif self.root(stored.size) != signed_root:
                self.problem(subject, "root does not match the log")

    # -- telling a changed node from changed leaves -------------------------------------

    def has_bad_leaf(self, start: int, end: int) -> bool:
        position = bisect.bisect_left(self.bad_leaves, start)
        return position < len(self.bad_leaves) and self.bad_leaves[position] < end

    def parent_agrees(self, node: NodeId) -> bool:
        level, index = node
        parent = (level + 1, index >> 1)
        complete = ((index >> 1) + 1) << (level + 1) <= self.size
        return complete and parent not in self.mismatched and parent not in self.missing_nodes

    def explain_nodes(self) -> None:
        self.bad_leaves.sort()
        moved: list[int] = []
        for node in sorted(self.mismatched):
            level, index = node
            start, end = index << level, (index + 1) << level
            if self.has_bad_leaf(start, end):
                continue  # follows from a leaf already reported
            below = [(level - 1, 2 * index), (level - 1, 2 * index + 1)]
            if level > 1 and any(child in self.mismatched for child in below):
                continue  # follows from a lower node
            subject = describe_node(node)
            if self.parent_agrees(node):
                self.problem(subject, "stored hash is corrupt (the hashes below and above agree)")
            elif level > 1:
                self.problem(
                    subject,
                    "stored hash does not match the nodes below it (it was altered, or "
                    f"leaves {start}..{end - 1} were rewritten with the nodes under them)",
                )
            else:
                moved.append(index)
        self.explain_pairs(moved)

    def explain_pairs(self, indices: list[int]) -> None:
        """Level-1 nodes whose two leaves changed: name swapped or moved entries."""
        pool: dict[bytes, int] = {}
        if len(indices) <= MAX_MOVE_SEARCH:
            for index in indices:
                left, right = self.pairs[index]
                pool.setdefault(left, 2 * index)
                pool.setdefault(right, 2 * index + 1)
            if self.tail is not None:
                pool.setdefault(self.tail[1], self.tail[0])
        for index in indices:
            stored = self.mismatched[(1, index)]
            left, right = self.pairs[index]
            first, second = 2 * index, 2 * index + 1
            if node_hash(right, left) == stored:
                self.problem(f"leaves {first} and {second}", "swapped (out of order)")
                continue
            found = False
            for value, now_at in pool.items():
                if node_hash(value, right) == stored:
                    self.problem(
                        f"leaf {first}",
                        f"out of order: the entry appended at index {first} is now at {now_at}",
                    )
                    found = True
                if node_hash(left, value) == stored:
                    self.problem(
                        f"leaf {second}",
                        f"out of order: the entry appended at index {second} is now at {now_at}",
                    )
                    found = True
            if found:
                continue
            if ((index >> 1) + 1) << 2 <= self.size:  # the node above disagrees too
                self.problem(
                    f"leaves {first}..{second}",
                    "changed since they were appended, data and leaf hash alike "
                    f"(they no longer match node (level 1, index {index}))",
                )
            else:
                self.problem(
                    f"node (level 1, index {index})",
                    f"disagrees with leaves {first}..{second}: one of them was altered",
                )


def verify_log(store: LogStore, keys: Sequence[PublicKey]) -> VerifyReport:
    """Verify the whole log in ``store``; checkpoint signatures against ``keys``."""
    with store.reading(snapshot=True) as conn:
        origin, size = store.head(conn)
        checkpoints = store.checkpoints(conn)
        report = VerifyReport(origin=origin, size=size)
        needed = {size} | {c.size for c in checkpoints if 0 < c.size <= size}
        needed.discard(0)
        run = _Pass(store, conn, report, needed)
        run.run_tree()
        run.run_extras()
        run.run_checkpoints(checkpoints, keys)
        run.explain_nodes()
        report.root = run.root(size) if size else EMPTY_ROOT
    return report


__all__ = ["CHUNK_LEVEL", "MAX_PROBLEMS", "Problem", "VerifyReport", "verify_log"]
