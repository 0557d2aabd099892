"""Run the per-track detector over many files, on every core, without losing the batch.

:func:`scan` is the engine behind ``soundproof scan``: it expands the arguments with
:func:`~soundproof.scan.sources.iter_sources`, feeds the files to a
:class:`~concurrent.futures.ProcessPoolExecutor` whose workers each load the
:class:`~soundproof.detect.Detector` once, and yields one
:class:`~soundproof.detect.result.TrackResult` per input.

Design points, and why:

* **Bounded submission.** At most ``4 * workers`` files are in flight (submitted but
  not yet yielded), so a scan of a million files holds a few dozen futures, not a
  million, and the directory walk stays lazy.
* **Failures are rows.** An unexpected exception while analysing one file becomes an
  ``error`` row. A worker that dies outright (segfault in a decoder, out-of-memory kill)
  breaks the whole pool and fails every file in flight with it; the runner then restarts
  the pool and re-runs those files *one at a time*, so the file that really kills a
  worker is the only one marked as an error and innocent bystanders get their verdicts.
* **Model errors are not rows.** A missing or corrupt model would fail every file, so
  the :class:`~soundproof.errors.ModelError` (or any error while a worker loads the
  detector) is raised to the caller instead.
* **URLs are downloaded first, in the parent.** A playlist may name http(s) URLs
  (Spotify and Deezer previews, files on a web server); they arrive as ``remote``
  sources and :func:`~soundproof.scan.fetch.prefetch.fetch_remote` downloads them in a
  few threads ahead of the workers, within DESIGN.md's limits (http(s) only, size and
  time caps, no private or loopback targets unless ``allow_private_urls``), into a
  content-addressed cache. The workers analyse the cached file; the row keeps the URL
  as its ``path``. A failed download is an ``error`` row. A URL never reaches the decoder.
* ``workers=1`` runs in-process with no pool, for tests, profiling and debuggers; a scan
  of a single file does the same, since starting a process would cost more than it saves.
* Workers are forked from a *forkserver* that has already imported the detector, so a
  pool (or a restart after a crash) starts in milliseconds instead of re-importing
  numpy and scipy per process. Plain ``fork`` is avoided because the parent may run
  threads (the progress bar refreshes from one) and forking a threaded process can
  deadlock; where there is no forkserver (Windows) ``spawn`` is used.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soundproof.detect.result import TrackResult
from soundproof.errors import SoundproofError, UsageError
from soundproof.scan.fetch.prefetch import fetch_remote
from soundproof.scan.remember import analyze_remembering, remember
from soundproof.scan.sources import Source, iter_sources
from soundproof.store.results import ResultStore

if TYPE_CHECKING:
    from soundproof.detect import Detector

IN_FLIGHT_PER_WORKER = 4
"""Files submitted per worker before the runner waits for a result (memory bound)."""

CRASH_MESSAGE = (
    "the analysis process crashed on this file (killed or out of memory); "
    "the rest of the scan went on"
)

ENGINES = ("local", "ray")
"""Where the per-file work runs: a local process pool, or Ray tasks."""

Task = Callable[[str], TrackResult]
"""What a worker runs for one file: path in, verdict out. Must be picklable."""


PRELOAD_MODULES = [
    "soundproof.scan.runner",
    "soundproof.detect.detector",
    "soundproof.scan.forkserver_main",
]
"""Imported once by the forkserver, so that forked workers start with them loaded; the
last loads the parent's ``__main__`` there (:mod:`soundproof.scan.forkserver_main`)."""


def _mp_context() -> multiprocessing.context.BaseContext:
    """A forkserver context preloading the detector where available, else ``spawn``."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # Only takes effect before the server first starts; later calls are harmless.
        ctx.set_forkserver_preload(PRELOAD_MODULES)
        from soundproof.scan.forkserver_main import start_forkserver  # see its docstring

        start_forkserver()
        return ctx
    return multiprocessing.get_context("spawn")


def default_workers() -> int:
    """The number of cores this process may use (respects CPU affinity and cgroups' cpusets)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS and Windows
        return max(1, os.cpu_count() or 1)


def scan(
    paths: Iterable[str | os.PathLike[str]],
    *,
    workers: int = 0,
    detector_path: Path | None = None,
    progress: bool = True,
    ordered: bool = False,
    cache: bool = True,
    database_url: str | None = None,
    allow_private_urls: bool = False,
    engine: str = "local",
    ray_address: str | None = None,
) -> Generator[TrackResult, None, None]:
    """Analyse every audio file named by ``paths`` and yield one verdict row per input.

    ``paths`` are files, directories (walked recursively for audio extensions) or
    playlists (expanded into their entries, whose metadata fills the rows); a missing
    path yields an ``error`` row. ``workers=0`` uses one process per available
    core, ``workers=1`` runs in this process. ``detector_path`` selects a model file
    instead of the shipped one. Rows come as they finish, or in input order with
    ``ordered=True``. ``progress`` shows a rich progress line on stderr when stderr is a
    terminal. With ``cache`` (the default) verdicts are remembered by content hash and
    model version in the results store at ``database_url`` (default: SQLite under
    ``SOUNDPROOF_HOME``), so unchanged tracks are not analysed again
    (:mod:`soundproof.scan.remember`).

    URL entries of playlists are downloaded (http(s) only, size and time limits, cached
    under ``SOUNDPROOF_HOME``; see :mod:`soundproof.scan.fetch`); private, loopback and
    link-local addresses are refused unless ``allow_private_urls``.

    ``engine="ray"`` runs the same per-file work as Ray tasks, on the cluster at
    ``ray_address`` or on a local Ray started for the scan with ``workers`` CPUs
    (:mod:`soundproof.scan.ray_engine`).

    Raises :class:`~soundproof.errors.SoundproofError` (typically ``ModelError``) only
    for problems that would fail every file; per-file problems are rows.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    store = _open_store(database_url) if cache else None
    results = run_sources(
        iter_sources(paths),
        workers=workers,
        initializer=_init_worker,
        initargs=(detector_path, store.url if store else None),
        task=_analyze_in_worker,
        ordered=ordered,
        allow_private_urls=allow_private_urls,
        engine=engine,
        ray_address=ray_address,
    )
    if store is not None:
        results = remember(results, store)
    return with_progress(results) if progress else results


def _open_store(database_url: str | None) -> ResultStore:
    """The results store at ``database_url``, or the default one under SOUNDPROOF_HOME."""
    from soundproof.config import get_settings

    return ResultStore(database_url or get_settings().database_url)


# --------------------------------------------------------------------------- workers

_detector: Detector | None = None
_store: ResultStore | None = None
_init_error: BaseException | None = None


class WorkerInitError(Exception):
    """Carries an exception raised while a worker loaded its detector back to the parent."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


def _init_worker(detector_path: Path | None, store_url: str | None = None) -> None:
    """Pool initializer: load the detector (and open the results store) once per process.

    An exception here would only surface as an opaque broken pool, so it is stored and
    re-raised (wrapped in :class:`WorkerInitError`) by the first task instead.
    """
    global _detector, _store, _init_error
    try:
        from soundproof.detect import Detector

        _detector = Detector.load(detector_path)
        _store = ResultStore(store_url, create=False) if store_url else None
        _init_error = None
    except BaseException as exc:  # reported to the parent, see docstring
        _detector = None
        _init_error = exc


def _analyze_in_worker(path: str) -> TrackResult:
    """Pool task: the verdict for one file, remembered or from this process's detector."""
    if _init_error is not None:
        raise WorkerInitError(_init_error)
    if _detector is None:  # pragma: no cover - initializer always runs first
        raise RuntimeError("worker used before its initializer ran")
    return analyze_remembering(_detector, _store, path)


# --------------------------------------------------------------------------- engine


@dataclass(slots=True)
class _Item:
    """One input on its way through the runner, with its position for ordered output."""

    index: int
    source: Source


def run_sources(
    sources: Iterable[Source],
    *,
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    task: Task,
    ordered: bool = False,
    allow_private_urls: bool = False,
    engine: str = "local",
    ray_address: str | None = None,
) -> Generator[TrackResult, None, None]:
    """The scheduling engine of :func:`scan`, with the per-file work made pluggable.

    ``initializer(*initargs)`` runs once per process (or once in this process when
    running in-process) and ``task(path)`` once per file. Both must be importable
    top-level functions so that spawned workers can find them; tests use this to inject
    tasks that crash or raise. Remote sources are downloaded first (``allow_private_urls``
    as in :func:`scan`) and ``task`` gets the downloaded file.
    """
    workers = workers if workers > 0 else default_workers()
    max_in_flight = IN_FLIGHT_PER_WORKER * workers
    fetched = fetch_remote(sources, allow_private=allow_private_urls)
    items = (_Item(i, s) for i, s in enumerate(fetched))
    if engine == "ray":
        from soundproof.scan.ray_engine import RayRunner

        ray_runner = RayRunner(
            address=ray_address,
            workers=workers,
            initializer=initializer,
            initargs=initargs,
            task=task,
            ordered=ordered,
            in_flight_per_cpu=IN_FLIGHT_PER_WORKER,
        )
        yield from ray_runner.run(items)
        return
    head = list(islice(items, max_in_flight))
    n_analysable = sum(1 for item in head if item.source.error is None)
    whole_input_seen = len(head) < max_in_flight
    if workers == 1 or (whole_input_seen and n_analysable <= 1):
        yield from _run_in_process(head, items, initializer, initargs, task)
        return
    # A short input does not need more processes than it has files.
    processes = min(workers, max(n_analysable, 1)) if whole_input_seen else workers
    runner = _PoolRunner(processes, max_in_flight, initializer, initargs, task, ordered)
    yield from runner.run(head, items)


def _run_in_process(
    head: list[_Item],
    rest: Iterator[_Item],
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    task: Task,
) -> Iterator[TrackResult]:
    """Analyse every item here, in input order, loading the detector on first need."""
    initialized = False
    for item in _chain(head, rest):
        if item.source.error is not None:
            yield _source_error_row(item.source)
            continue
        if not initialized:
            initializer(*initargs)
            initialized = True
        try:
            result = task(_input_path(item.source))
        except WorkerInitError as exc:
            raise exc.error from None
        except Exception as exc:  # one bad file must not stop the batch
            result = _exception_row(item.source.path, exc)
        yield _with_metadata(result, item.source)


def _chain(head: list[_Item], rest: Iterator[_Item]) -> Iterator[_Item]:
    yield from head
    yield from rest


class _PoolRunner:
    """A process pool fed with bounded submission, restarted when a worker dies.

    ``pending`` counts items submitted but not yet yielded (in ordered mode that includes
    finished results waiting for an earlier one), which is what bounds memory.
    """

    def __init__(
        self,
        processes: int,
        max_in_flight: int,
        initializer: Callable[..., None],
        initargs: tuple[Any, ...],
        task: Task,
        ordered: bool,
    ) -> None:
        self.processes = processes
        self.max_in_flight = max_in_flight
        self.initializer = initializer
        self.initargs = initargs
        self.task = task
        self.executor: ProcessPoolExecutor | None = None
        self.in_flight: dict[Future[TrackResult], _Item] = {}
        self.suspects: deque[_Item] = deque()  # in flight when a worker died; rerun alone
        self.release = RowRelease(ordered)  # holds finished rows waiting their turn

    def _pool(self) -> ProcessPoolExecutor:
        if self.executor is None:
            self.executor = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=_mp_context(),
                initializer=self.initializer,
                initargs=self.initargs,
            )
        return self.executor

    def _discard_pool(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = None

    def _pending(self) -> int:
        return len(self.in_flight) + len(self.suspects) + len(self.release)

    def run(self, head: list[_Item], rest: Iterator[_Item]) -> Iterator[TrackResult]:
        """Yield every row; always shuts the pool down, even if the consumer stops early."""
        upcoming = _chain(head, rest)
        exhausted = False
        try:
            while True:
                # Refill: suspects run strictly alone; new work only when none are left.
                if self.suspects:
                    if not self.in_flight:
                        item = self.suspects.popleft()
                        self._submit(item)
                elif not exhausted:
                    while self._pending() < self.max_in_flight:
                        item_or_none = next(upcoming, None)
                        if item_or_none is None:
                            exhausted = True
                            break
                        if item_or_none.source.error is not None:
                            yield from self._finish(
                                item_or_none, _source_error_row(item_or_none.source)
                            )
                        else:
                            self._submit(item_or_none)
                if not self.in_flight:
                    if exhausted and not self.suspects:
                        break
                    continue
                finished, _ = wait(self.in_flight, return_when=FIRST_COMPLETED)
                yield from self._collect(finished)
        finally:
            self._discard_pool()

    def _submit(self, item: _Item) -> None:
        try:
            future = self._pool().submit(self.task, _input_path(item.source))
        except BrokenProcessPool:
            self._discard_pool()
            future = self._pool().submit(self.task, _input_path(item.source))
        self.in_flight[future] = item

    def _collect(self, finished: set[Future[TrackResult]]) -> Iterator[TrackResult]:
        """Turn finished futures into rows; on a dead worker, queue the victims as suspects."""
        broken: list[_Item] = []
        for future in sorted(finished, key=lambda f: self.in_flight[f].index):
            item = self.in_flight.pop(future)
            exc = future.exception()
            if exc is None:
                yield from self._finish(item, _with_metadata(future.result(), item.source))
            elif isinstance(exc, WorkerInitError):
                raise exc.error from None
            elif isinstance(exc, BrokenProcessPool):
                broken.append(item)
            else:
                yield from self._finish(item, _exception_row(item.source.path, exc))
        if not broken:
            return
        # A dead worker fails every future of the pool: gather them all, then restart.
        was_alone = len(broken) == 1 and not self.in_flight
        for future, item in list(self.in_flight.items()):
            if future.done() and future.exception() is None:
                yield from self._finish(item, _with_metadata(future.result(), item.source))
            else:
                broken.append(item)
            del self.in_flight[future]
        self._discard_pool()
        if was_alone:
            # It ran alone, so it is the one that killed the worker.
            yield from self._finish(broken[0], _crash_row(broken[0].source))
            return
        broken.sort(key=lambda item: item.index)
        self.suspects.extendleft(reversed(broken))

    def _finish(self, item: _Item, result: TrackResult) -> Iterator[TrackResult]:
        """Yield a row now, or hold it until every earlier row is out (ordered mode)."""
        yield from self.release.add(item.index, result)


class RowRelease:
    """When finished rows go out: at once, or in input order (``ordered=True``).

    In order, a finished row is held until every row of a lower index is out; ``len`` is
    the number held, which counts towards the bound on work in flight.
    """

    def __init__(self, ordered: bool) -> None:
        self.ordered = ordered
        self._held: dict[int, TrackResult] = {}
        self._next = 0

    def __len__(self) -> int:
        return len(self._held)

    def add(self, index: int, row: TrackResult) -> Iterator[TrackResult]:
        """Take the row of input ``index``; yield every row whose turn has come."""
        if not self.ordered:
            yield row
            return
        self._held[index] = row
        while self._next in self._held:
            yield self._held.pop(self._next)
            self._next += 1


# --------------------------------------------------------------------------- rows


def error_row(path: str, message: str) -> TrackResult:
    """A verdict row for an input that could not be analysed (every other field null)."""
    return TrackResult.model_validate({"path": path, "verdict": "error", "error": message})


def _source_error_row(source: Source) -> TrackResult:
    return _with_metadata(error_row(source.path, source.error or "unusable input"), source)


def _input_path(source: Source) -> str:
    """The file the task reads: the downloaded copy of a remote source, else the path.

    :func:`fetch_remote` gives every remote source either a ``local`` file or an
    ``error``, so a URL itself never reaches the decoder.
    """
    return source.local if source.local is not None else source.path


def _exception_row(path: str, exc: BaseException) -> TrackResult:
    """An unexpected exception is a bug, but one file's bug must not end the batch."""
    if isinstance(exc, SoundproofError):
        return error_row(path, str(exc))
    return error_row(path, f"internal error: {type(exc).__name__}: {exc}")


def _crash_row(source: Source) -> TrackResult:
    return _with_metadata(error_row(source.path, CRASH_MESSAGE), source)


def _with_metadata(result: TrackResult, source: Source) -> TrackResult:
    """Copy playlist metadata known to the source into the row, where the row has none.

    A downloaded source's row shows its URL, not the cache file that was analysed.
    """
    update: dict[str, Any] = {
        name: value
        for name in TrackResult.METADATA_FIELDS
        if (value := getattr(source, name)) is not None and getattr(result, name) is None
    }
    if source.local is not None:
        update["path"] = source.path
        if result.error:
            update["error"] = result.error.replace(source.local, source.path)
    return result.model_copy(update=update) if update else result


# --------------------------------------------------------------------------- progress


def with_progress(results: Iterator[TrackResult]) -> Generator[TrackResult, None, None]:
    """Pass rows through while a rich progress line on stderr counts them by verdict.

    The total is unknown (sources are streamed), so it shows a count, the counts per
    verdict and the elapsed time. Nothing is drawn when stderr is not a terminal.
    Closing this generator closes ``results`` too (and so shuts its worker pool down).
    """
    from rich.console import Console
    from rich.progress import (
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(file=sys.stderr)
    if not console.is_terminal:
        yield from results
        return
    counts: Counter[str] = Counter()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("scanning"),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    try:
        with progress:
            task_id = progress.add_task("scan", total=None, counts="")
            for result in results:
                counts[result.verdict] += 1
                summary = "  ".join(f"{label} {counts[label]}" for label in sorted(counts))
                progress.update(task_id, advance=1, counts=summary)
                yield result
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()


__all__ = [
    "CRASH_MESSAGE",
    "WorkerInitError",
    "default_workers",
    "error_row",
    "run_sources",
    "scan",
    "with_progress",
]
