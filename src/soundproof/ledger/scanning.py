"""Signing scan verdicts as they stream out of a scan (``soundproof scan --sign``).

A scan's per-track work runs wherever its engine puts it (a local process pool, a
Ray cluster), but every row comes back to the one process that drives the scan. That
process logs each verdict as a ledger leaf and signs its attestation before the row
goes on, so signing is the same for every engine, and a row that was printed with an
attestation is durably in the log.

Error rows are not verdicts and carry no content hash: they pass through unsigned.
Each verdict is its own append (one transaction): rows arrive one by one, at the
detector's pace, and none is held back waiting for a batch to fill.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable

from soundproof.detect.result import TrackResult
from soundproof.ledger.keys import SigningKey
from soundproof.ledger.ledger import Ledger


def signable(result: TrackResult) -> bool:
    """True for a verdict (not an error row) whose audio has a content hash."""
    return result.verdict != "error" and result.content_hash is not None


def sign_results(
    results: Iterable[TrackResult],
    ledger: Ledger,
    *,
    key: SigningKey | None = None,
    issuer: str | None = None,
) -> Generator[TrackResult, None, None]:
    """Each row of ``results``, verdicts with ``log_index`` and ``attestation`` filled in.

    The signing key is loaded now, before the first row is consumed, so a missing or
    unreadable key stops the scan before it starts rather than after its first track.
    """
    key = key or ledger.signing_key()
    return _signed(results, ledger, key, issuer)


def _signed(
    results: Iterable[TrackResult], ledger: Ledger, key: SigningKey, issuer: str | None
) -> Generator[TrackResult, None, None]:
    for result in results:
        if not signable(result):
            yield result
            continue
        attestation = ledger.attest_verdict(result.model_dump(mode="json"), key=key, issuer=issuer)
        yield result.model_copy(
            update={"log_index": attestation.entry.index, "attestation": attestation.token}
        )
