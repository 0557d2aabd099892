"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0, section 2.1): hashes and proofs.

Pure functions, no storage. The tree over leaves ``D[0:n]`` is the one of RFC 9162 and
RFC 6962 (they agree), with SHA-256:

* ``MTH({}) = SHA-256()``, the hash of the empty string;
* leaf hash ``SHA-256(0x00 || d)``; interior node ``SHA-256(0x01 || left || right)``;
* for ``n > 1`` the left subtree holds the largest power of two of leaves below ``n``.

Storage keeps the hashes of *perfect* subtrees only, named ``(level, index)``: the node
at ``level`` L and ``index`` i covers leaves ``[i * 2**L, (i + 1) * 2**L)``; level 0
is a leaf hash. Every subtree the RFC's recursions meet, ``D[start:end]``, starts at a
multiple of the smallest power of two not below its size, so its hash is the right
fold of a few perfect subtrees (:func:`subtree_nodes`, :func:`fold`): a proof for a
log of any size needs O(log n) stored hashes, never a rebuild.

Generation (:func:`inclusion_ranges`, :func:`consistency_ranges`) follows the
recursive definitions of RFC 9162 section 2.1.3.1 (PATH) and 2.1.4.1 (PROOF and
SUBPROOF); verification (:func:`verify_inclusion`, :func:`verify_consistency`) is the
iterative algorithm of sections 2.1.3.2 and 2.1.4.2, step by step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from soundproof.ledger.errors import ProofError

HASH_SIZE = 32
"""Bytes in a SHA-256 hash, and so in every leaf, node and root hash of the log."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty tree: the SHA-256 of no bytes."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

NodeId = tuple[int, int]
"""A perfect subtree ``(level, index)``: leaves ``[index << level, (index + 1) << level)``."""


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one log entry."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n > 1``): the size of the left subtree."""
    if n < 2:
        raise ValueError(f"a tree of {n} leaves has no split")
    return 1 << ((n - 1).bit_length() - 1)


def subtree_nodes(start: int, end: int) -> list[NodeId]:
    """The perfect subtrees whose right fold is ``MTH(D[start:end])``, left to right.

    Greedy from ``start``: the biggest power of two left, then the next. Valid for the
    ranges of RFC 9162's recursions (``start`` a multiple of the subtree's power-of-two
    ceiling) and for every prefix ``[0, n)``; anything else is a ValueError.
    """
    if not 0 <= start <= end:
        raise ValueError(f"bad leaf range [{start}, {end})")
    nodes: list[NodeId] = []
    position, remaining = start, end - start
    while remaining:
        level = remaining.bit_length() - 1
        if position & ((1 << level) - 1):
            raise ValueError(f"[{start}, {end}) is not a subtree of an RFC 9162 tree")
        nodes.append((level, position >> level))
        position += 1 << level
        remaining -= 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a subtree from its perfect parts (left to right): a right fold.

    ``MTH(D[a:b]) = node(MTH(first part), MTH(rest))`` because the first part is the
    largest power of two below the size; an empty sequence is the empty tree.
    """
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH of a whole tree given its leaf hashes, in O(n) hashes and O(log n) memory.

    A binary counter of perfect subtrees (the "compact range"), merged as leaves come.
    """
    stack: list[tuple[int, bytes]] = []
    for value in hashes:
        level, current = 0, value
        while stack and stack[-1][0] == level:
            current = node_hash(stack.pop()[1], current)
            level += 1
        stack.append((level, current))
    return fold([value for _, value in stack])


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The subtrees ``[start, end)`` whose hashes form the audit path of leaf ``index``.

    RFC 9162 section 2.1.3.1: ``PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])`` when
    ``m < k``, else ``PATH(m - k, D[k:n]) : MTH(D[0:k])``; ``PATH(0, {d0}) = {}``.
    Listed leaf-side first, as the proof is.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The subtrees ``[start, end)`` whose hashes form the proof from ``old_size`` to ``new_size``.

    RFC 9162 section 2.1.4.1: ``PROOF(m, D[n]) = SUBPROOF(m, D[n], true)``;
    ``SUBPROOF(m, D[m], true) = {}``, ``SUBPROOF(m, D[m], false) = {MTH(D[m])}``; for
    ``m < n``, ``SUBPROOF(m, D[0:k], b) : MTH(D[k:n])`` when ``m <= k``, else
    ``SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])``. Empty when ``old_size`` is 0 or
    equals ``new_size`` (nothing to prove).
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    start, end, m, whole = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not whole:
                ranges.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole = False
    ranges.reverse()
    return ranges


def nodes_for_ranges(ranges: Sequence[tuple[int, int]]) -> list[NodeId]:
    """Every perfect subtree needed to hash the given ranges (duplicates removed, in order)."""
    seen: dict[NodeId, None] = {}
    for start, end in ranges:
        for node in subtree_nodes(start, end):
            seen[node] = None
    return list(seen)


def hash_ranges(ranges: Sequence[tuple[int, int]], nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """The hash of each range, from the perfect-subtree hashes in ``nodes``."""
    return [fold([nodes[node] for node in subtree_nodes(start, end)]) for start, end in ranges]


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not a {HASH_SIZE}-byte SHA-256 hash")


def _lsb(value: int) -> int:
    return value & 1


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that an audit path leads to, or ProofError (RFC 9162 section 2.1.3.2).

    ``leaf`` is the leaf *hash*. The returned root must still be compared with a
    trusted one; :func:`verify_inclusion` does both.
    """
    _check_hash(leaf, "the leaf hash")
    for position, value in enumerate(proof):
        _check_hash(value, f"proof hash {position}")
    # 1. leaf_index must be below tree_size.
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    # 2. fn = leaf_index, sn = tree_size - 1.
    fn, sn = index, size - 1
    # 3. r = hash.
    r = leaf
    # 4. For each p in the inclusion path:
    for p in proof:
        if sn == 0:  # the path is longer than the tree is deep
            raise ProofError("the inclusion proof is longer than the tree allows")
        if _lsb(fn) or fn == sn:
            r = node_hash(p, r)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    # 5. sn must be 0 (the path reached the root).
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree requires")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf hash ``leaf`` is at ``index`` in the tree of ``size`` with ``root``.

    RFC 9162 section 2.1.3.2; raises :class:`ProofError` saying what failed.
    """
    _check_hash(root, "the root hash")
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError(f"the inclusion proof of leaf {index} does not lead to the root")


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Check that the tree of ``new_size`` with ``new_root`` extends the one of ``old_size``.

    RFC 9162 section 2.1.4.2 for ``0 < old_size < new_size``. The trivial cases have
    an empty proof: equal sizes need equal roots; an empty old tree is a prefix of any
    tree (its root must be the empty-tree hash). Raises :class:`ProofError`.
    """
    _check_hash(old_root, "the old root")
    _check_hash(new_root, "the new root")
    for position, value in enumerate(proof):
        _check_hash(value, f"proof hash {position}")
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of size {new_size} cannot extend one of size {old_size}")
    if old_size == new_size or old_size == 0:
        if proof:
            raise ProofError("the consistency proof must be empty for these sizes")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofError("the old root is not the root of the empty tree")
        if old_size == new_size and old_root != new_root:
            raise ProofError(f"two different roots for the same tree size {old_size}")
        return
    # 1. An empty proof fails.
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    # 2. If first is an exact power of 2, prepend first_hash.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3. fn = first - 1, sn = second - 1.
    fn, sn = old_size - 1, new_size - 1
    # 4. If LSB(fn) is set, right-shift fn and sn until LSB(fn) is not set.
    while _lsb(fn):
        fn >>= 1
        sn >>= 1
    # 5. fr = sr = the first value of the path.
    fr = sr = path[0]
    # 6. For each subsequent value c:
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the trees allow")
        if _lsb(fn) or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # 7. fr must be first_hash, sr second_hash, and sn 0.
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the trees require")
    if fr != old_root:
        raise ProofError(f"the consistency proof does not lead to the old root (size {old_size})")
    if sr != new_root:
        raise ProofError(f"the consistency proof does not lead to the new root (size {new_size})")


def _hex_list(values: Sequence[bytes]) -> list[str]:
    return [value.hex() for value in values]


def _unhex(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise ProofError(f"{what} is not a hex string")
    try:
        decoded = bytes.fromhex(value)
    except ValueError:
        raise ProofError(f"{what} is not valid hex") from None
    _check_hash(decoded, what)
    return decoded


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(f"{what} is not a non-negative integer")
    return value


@dataclass(frozen=True)
class InclusionProof:
    """Leaf ``index`` with hash ``leaf_hash`` is in the tree of ``tree_size`` with ``root``.

    ``checkpoint`` optionally carries the signed note that vouches for ``root``: without
    it the root is just a claim of whoever handed the proof over.
    """

    index: int
    tree_size: int
    leaf_hash: bytes
    root: bytes
    hashes: tuple[bytes, ...]
    checkpoint: str | None = field(default=None, compare=False)

    def verify(self, root: bytes | None = None) -> None:
        """Check the audit path against ``root`` (default: the proof's own root)."""
        verify_inclusion(self.index, self.tree_size, self.leaf_hash, self.hashes, root or self.root)

    def to_json(self) -> dict[str, Any]:
        """A JSON object with hashes in lowercase hex."""
        data: dict[str, Any] = {
            "index": self.index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "root": self.root.hex(),
            "hashes": _hex_list(self.hashes),
        }
        if self.checkpoint is not None:
            data["checkpoint"] = self.checkpoint
        return data

    @classmethod
    def from_json(cls, data: Any) -> InclusionProof:
        """Parse :meth:`to_json`'s output; ProofError names the first bad field."""
        if not isinstance(data, dict):
            raise ProofError("an inclusion proof must be a JSON object")
        try:
            hashes = data["hashes"]
            if not isinstance(hashes, list):
                raise ProofError("'hashes' is not a list")
            checkpoint = data.get("checkpoint")
            if checkpoint is not None and not isinstance(checkpoint, str):
                raise ProofError("'checkpoint' is not a string")
            return cls(
                index=_int(data["index"], "'index'"),
                tree_size=_int(data["tree_size"], "'tree_size'"),
                leaf_hash=_unhex(data["leaf_hash"], "'leaf_hash'"),
                root=_unhex(data["root"], "'root'"),
                hashes=tuple(_unhex(h, f"'hashes'[{i}]") for i, h in enumerate(hashes)),
                checkpoint=checkpoint,
            )
        except KeyError as exc:
            raise ProofError(f"the inclusion proof has no {exc.args[0]!r}") from None


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of ``new_size`` (``new_root``) is an append-only extension of ``old_size``."""

    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    hashes: tuple[bytes, ...]

    def verify(self) -> None:
        """Check the proof against its own roots (compare them with trusted ones too)."""
        verify_consistency(self.old_size, self.new_size, self.old_root, self.new_root, self.hashes)

    def to_json(self) -> dict[str, Any]:
        """A JSON object with hashes in lowercase hex."""
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": self.old_root.hex(),
            "new_root": self.new_root.hex(),
            "hashes": _hex_list(self.hashes),
        }

    @classmethod
    def from_json(cls, data: Any) -> ConsistencyProof:
        """Parse :meth:`to_json`'s output; ProofError names the first bad field."""
        if not isinstance(data, dict):
            raise ProofError("a consistency proof must be a JSON object")
        try:
            hashes = data["hashes"]
            if not isinstance(hashes, list):
                raise ProofError("'hashes' is not a list")
            return cls(
                old_size=_int(data["old_size"], "'old_size'"),
                new_size=_int(data["new_size"], "'new_size'"),
                old_root=_unhex(data["old_root"], "'old_root'"),
                new_root=_unhex(data["new_root"], "'new_root'"),
                hashes=tuple(_unhex(h, f"'hashes'[{i}]") for i, h in enumerate(hashes)),
            )
        except KeyError as exc:
            raise ProofError(f"the consistency proof has no {exc.args[0]!r}") from None


NodeSource = Callable[[Sequence[NodeId]], Mapping[NodeId, bytes]]
"""Looks up the hashes of perfect subtrees (raises if one is missing)."""


def build_inclusion_proof(
    index: int, size: int, lookup: NodeSource, checkpoint: str | None = None
) -> InclusionProof:
    """The audit path of ``index`` in the tree of ``size``, from O(log n) stored hashes."""
    ranges = inclusion_ranges(index, size)
    root_nodes = subtree_nodes(0, size)
    nodes = lookup([*nodes_for_ranges(ranges), (0, index), *root_nodes])
    return InclusionProof(
        index=index,
        tree_size=size,
        leaf_hash=nodes[(0, index)],
        root=fold([nodes[node] for node in root_nodes]),
        hashes=tuple(hash_ranges(ranges, nodes)),
        checkpoint=checkpoint,
    )


def build_consistency_proof(old_size: int, new_size: int, lookup: NodeSource) -> ConsistencyProof:
    """The proof that ``new_size`` extends ``old_size``, from O(log n) stored hashes."""
    ranges = consistency_ranges(old_size, new_size)
    old_nodes, new_nodes = subtree_nodes(0, old_size), subtree_nodes(0, new_size)
    nodes = lookup([*nodes_for_ranges(ranges), *old_nodes, *new_nodes])
    return ConsistencyProof(
        old_size=old_size,
        new_size=new_size,
        old_root=fold([nodes[node] for node in old_nodes]),
        new_root=fold([nodes[node] for node in new_nodes]),
        hashes=tuple(hash_ranges(ranges, nodes)),
    )


__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "ConsistencyProof",
    "InclusionProof",
    "NodeId",
    "NodeSource",
    "build_consistency_proof",
    "build_inclusion_proof",
    "consistency_ranges",
    "fold",
    "hash_ranges",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "nodes_for_ranges",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "split_point",
    "subtree_nodes",
    "verify_consistency",
    "verify_inclusion",
]
