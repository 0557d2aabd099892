"""RFC 9162 hashing and proofs: published vectors, and every tree size 1..64 against a reference."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import pytest

from soundproof.ledger.errors import ProofError
from soundproof.ledger.merkle import (
    EMPTY_ROOT,
    ConsistencyProof,
    InclusionProof,
    NodeId,
    NodeSource,
    build_consistency_proof,
    build_inclusion_proof,
    consistency_ranges,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    subtree_nodes,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger import reference

# ---------------------------------------------------------------------------------------
# Published test vectors.
#
# Source: github.com/transparency-dev/merkle, proof/verify_test.go (the Certificate
# Transparency / Trillian suite, Apache-2.0): the eight standard leaves, the roots of
# the trees of sizes 1..8 over them, and the known-good inclusion and consistency
# proofs (inclusion leaves there are 1-based: {leaf, size, proof}).
# And rfc6962/rfc6962_test.go of the same repository for the hasher.
# ---------------------------------------------------------------------------------------

CT_LEAVES = [
    bytes.fromhex(value)
    for value in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

CT_ROOTS = [
    bytes.fromhex(value)
    for value in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def _h(*values: str) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


# (1-based leaf, tree size, audit path)
CT_INCLUSION = [
    (1, 1, []),
    (
        1,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _h(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (3, 3, _h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        2,
        5,
        _h(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

# (old size, new size, proof)
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _h(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _lookup(entries: Sequence[bytes]) -> NodeSource:
    """A node source over ``entries``, computing each perfect subtree with the reference."""

    def lookup(ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        return {
            (level, index): reference.mth(entries[index << level : (index + 1) << level])
            for level, index in ids
        }

    return lookup


def test_hasher_matches_published_vectors() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


def test_roots_of_the_eight_standard_leaves() -> None:
    hashes = [leaf_hash(leaf) for leaf in CT_LEAVES]
    for size in range(1, 9):
        assert root_from_leaf_hashes(hashes[:size]) == CT_ROOTS[size - 1]
        assert reference.mth(CT_LEAVES[:size]) == CT_ROOTS[size - 1]  # the reference agrees
    assert root_from_leaf_hashes([]) == EMPTY_ROOT


@pytest.mark.parametrize(("leaf", "size", "expected"), CT_INCLUSION)
def test_published_inclusion_proofs(leaf: int, size: int, expected: list[bytes]) -> None:
    built = build_inclusion_proof(leaf - 1, size, _lookup(CT_LEAVES[:size]))
    assert list(built.hashes) == expected
    assert built.root == CT_ROOTS[size - 1]
    assert built.leaf_hash == leaf_hash(CT_LEAVES[leaf - 1])
    verify_inclusion(leaf - 1, size, built.leaf_hash, expected, CT_ROOTS[size - 1])
    for probe in _corrupted_inclusion(
        leaf - 1, size, expected, CT_ROOTS[size - 1], built.leaf_hash
    ):
        with pytest.raises(ProofError):
            verify_inclusion(*probe)


def _corrupted_inclusion(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[int, int, bytes, list[bytes], bytes]]:
    """The probes of the published suite: wrong index, size, leaf, root, extra or altered hashes."""
    probes = [
        (index - 1, size, leaf, proof, root),
        (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root),
        (index, size, hashlib.sha256(b"WrongLeaf").digest(), proof, root),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, [*proof, b""], root),
        (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [b"", *proof], root),
        (index, size, leaf, [root, *proof], root),
    ]
    for position in range(len(proof)):
        altered = list(proof)
        altered[position] = bytes([altered[position][0] ^ 8]) + altered[position][1:]
        probes.append((index, size, leaf, altered, root))
    if proof:
        probes.append((index, size, leaf, proof[:-1], root))
    if len(proof) > 1:
        probes.append((index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root))
    # (index ^ 2 or index - 1 may still be a valid index of the same proof shape only
    # when the leaf hash also matched, which it does not.)
    return probes


@pytest.mark.parametrize(("old", "new", "expected"), CT_CONSISTENCY)
def test_published_consistency_proofs(old: int, new: int, expected: list[bytes]) -> None:
    built = build_consistency_proof(old, new, _lookup(CT_LEAVES[:new]))
    assert list(built.hashes) == expected
    assert (built.old_root, built.new_root) == (CT_ROOTS[old - 1], CT_ROOTS[new - 1])
    verify_consistency(old, new, CT_ROOTS[old - 1], CT_ROOTS[new - 1], expected)
    if not expected:
        return
    root1, root2 = CT_ROOTS[old - 1], CT_ROOTS[new - 1]
    probes = [
        (old - 1, new, root1, root2, expected),
        (old + 1, new, root1, root2, expected),
        (old ^ 2, new, root1, root2, expected),
        (old, new * 2, root1, root2, expected),
        (old, new // 2, root1, root2, expected),
        (old, new, SOME_HASH, root2, expected),
        (old, new, root1, SOME_HASH, expected),
        (old, new, root2, root1, expected),
        (old, new, root1, root2, []),
        (old, new, root1, root2, [*expected, root1]),
        (old, new, root1, root2, [*expected, root2]),
        (old, new, root1, root2, [root1, *expected]),
        (old, new, root1, root2, [root2, *expected]),
        (old, new, root1, root2, [expected[0], *expected]),
        (old, new, root1, root2, expected[:-1]),
    ]
    for position in range(len(expected)):
        altered = list(expected)
        altered[position] = bytes([altered[position][0] ^ 16]) + altered[position][1:]
        probes.append((old, new, root1, root2, altered))
    for probe in probes:
        with pytest.raises(ProofError):
            verify_consistency(*probe)


def test_trivial_consistency_cases() -> None:
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, CT_ROOTS[4], [])
    verify_consistency(3, 3, CT_ROOTS[2], CT_ROOTS[2], [])
    for probe in [
        (3, 3, CT_ROOTS[2], CT_ROOTS[3], []),  # two roots for one size
        (1, 0, CT_ROOTS[0], EMPTY_ROOT, []),  # time travel
        (2, 1, CT_ROOTS[1], CT_ROOTS[0], []),
        (1, 2, CT_ROOTS[0], CT_ROOTS[1], []),  # empty proof where one is needed
        (0, 1, EMPTY_ROOT, CT_ROOTS[0], [EMPTY_ROOT]),  # proof where none belongs
        (3, 3, CT_ROOTS[2], CT_ROOTS[2], [EMPTY_ROOT]),
        (0, 1, SOME_HASH, CT_ROOTS[0], []),  # not the empty tree's root
    ]:
        with pytest.raises(ProofError):
            verify_consistency(*probe)


def test_inclusion_edge_cases() -> None:
    single = leaf_hash(b"data")
    verify_inclusion(0, 1, single, [], single)
    for index, size in [(0, 0), (1, 0), (2, 1), (1, 1)]:
        with pytest.raises(ProofError):
            verify_inclusion(index, size, single, [], single)
    with pytest.raises(ProofError):
        verify_inclusion(0, 1, b"", [], single)  # wrong hash size
    with pytest.raises(ProofError):
        verify_inclusion(0, 1, single, [], b"")


ENTRIES = [f"entry {i}".encode() * (i % 3 + 1) for i in range(64)]


@pytest.mark.parametrize("size", range(1, 65))
def test_every_inclusion_proof_matches_the_reference(size: int) -> None:
    entries = ENTRIES[:size]
    root = reference.mth(entries)
    lookup = _lookup(entries)
    for index in range(size):
        built = build_inclusion_proof(index, size, lookup)
        assert list(built.hashes) == reference.path(index, entries), (index, size)
        assert built.root == root
        built.verify()
        verify_inclusion(index, size, leaf_hash(entries[index]), built.hashes, root)
        if size > 1:  # the same path does not prove a neighbour, nor a deeper tree
            with pytest.raises(ProofError):
                verify_inclusion((index + 1) % size, size, built.leaf_hash, built.hashes, root)
            with pytest.raises(ProofError):
                verify_inclusion(index, size * 2, built.leaf_hash, built.hashes, root)


@pytest.mark.parametrize("new", range(1, 65))
def test_every_consistency_proof_matches_the_reference(new: int) -> None:
    entries = ENTRIES[:new]
    lookup = _lookup(entries)
    new_root = reference.mth(entries)
    for old in range(1, new + 1):
        built = build_consistency_proof(old, new, lookup)
        assert list(built.hashes) == reference.proof(old, entries), (old, new)
        assert built.old_root == reference.mth(entries[:old])
        assert built.new_root == new_root
        built.verify()
        if old < new:
            with pytest.raises(ProofError):
                verify_consistency(old, new, SOME_HASH, new_root, built.hashes)
            with pytest.raises(ProofError):
                verify_consistency(old, new, built.old_root, SOME_HASH, built.hashes)


def test_subtree_decomposition_needs_log_n_nodes() -> None:
    for size in [1, 2, 3, 1000, 2**20 - 1, 2**20, 10**9 + 7]:
        nodes = subtree_nodes(0, size)
        assert len(nodes) == bin(size).count("1")
        assert sum(1 << level for level, _ in nodes) == size
    assert consistency_ranges(0, 10) == [] and consistency_ranges(7, 7) == []
    with pytest.raises(ValueError):
        subtree_nodes(3, 7)  # not a subtree of any RFC 9162 tree


def test_proofs_round_trip_through_json() -> None:
    entries = ENTRIES[:13]
    inclusion = build_inclusion_proof(5, 13, _lookup(entries), checkpoint="note\n")
    assert InclusionProof.from_json(inclusion.to_json()) == inclusion
    assert InclusionProof.from_json(inclusion.to_json()).checkpoint == "note\n"
    consistency = build_consistency_proof(5, 13, _lookup(entries))
    assert ConsistencyProof.from_json(consistency.to_json()) == consistency
    broken = inclusion.to_json()
    broken["hashes"][0] = "zz"
    with pytest.raises(ProofError, match="hashes"):
        InclusionProof.from_json(broken)
    with pytest.raises(ProofError, match="tree_size"):
        InclusionProof.from_json({k: v for k, v in inclusion.to_json().items() if k != "tree_size"})
