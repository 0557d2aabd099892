"""Incremental, resumable scans: verdicts remembered by content hash and model version.

The store's key is the file's content hash and :func:`remembered_under` of the model
version, which adds the detector's :data:`~soundproof.detect.result.RESULT_REVISION`:
a new model, or a release whose rows differ for the same model, analyses again.

Workers hash each file (SHA-256 of its bytes) and look the hash up in the results
store (:class:`~soundproof.store.ResultStore`) before analysing it; a hit costs only
the hashing. The parent process is the only writer: it stores every new verdict and
commits *before* the row is handed on, so whatever a scan has reported is durable. A
scan killed with SIGKILL and started again finds every finished track and analyses
only the rest.

Error rows are not remembered: they are cheap to reproduce, and some (an unreadable
file, a full disk) are not a property of the bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING

from soundproof.audio.hashing import file_sha256
from soundproof.detect.result import RESULT_REVISION, TrackResult
from soundproof.store.results import ResultStore, StoreError

if TYPE_CHECKING:
    from soundproof.detect import Detector

log = logging.getLogger(__name__)


def remembered_under(model_version: str) -> str:
    """The store key of a model's rows: its version and the detector's result revision."""
    return f"{model_version}+rev{RESULT_REVISION}"


def analyze_remembering(detector: Detector, store: ResultStore | None, path: str) -> TrackResult:
    """The verdict for ``path``: remembered if these bytes met this model before, else new.

    A file that cannot be read for hashing is analysed anyway, so its row carries the
    decoder's precise error; a store that cannot be read counts as a miss.
    """
    try:
        digest: str | None = file_sha256(path)
    except OSError:
        digest = None
    if store is not None and digest is not None:
        try:
            known = store.get(digest, remembered_under(detector.version))
        except StoreError as exc:
            log.warning("results store unreadable, analysing %s afresh: %s", path, exc)
            known = None
        if known is not None:
            return TrackResult.model_validate(
                {**known, "path": path, "content_hash": digest, "from_cache": True}
            )
    result = detector.analyze_path(path)
    return result.model_copy(update={"content_hash": digest})


def remember(
    results: Iterable[TrackResult], store: ResultStore
) -> Generator[TrackResult, None, None]:
    """Store each new verdict (committed) before passing its row on.

    If the store stops accepting writes (disk full, database gone), the scan goes on
    without remembering, with one warning: losing the cache must not lose the scan.
    """
    writable = True
    for result in results:
        if writable and _worth_keeping(result):
            assert result.content_hash is not None and result.model_version is not None
            try:
                key = remembered_under(result.model_version)
                store.put(result.content_hash, key, result.analysis())
            except StoreError as exc:
                log.warning("results are no longer remembered: %s", exc)
                writable = False
        yield result


def _worth_keeping(result: TrackResult) -> bool:
    return (
        not result.from_cache
        and result.verdict != "error"
        and result.content_hash is not None
        and result.model_version is not None
    )


__all__ = ["analyze_remembering", "remember", "remembered_under"]
