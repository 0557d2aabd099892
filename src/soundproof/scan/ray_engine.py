"""Run a scan's per-file work as Ray tasks: the same code on a cluster instead of local cores.

The ``local`` engine (:class:`~soundproof.scan.runner._PoolRunner`) feeds a process pool;
this one feeds Ray, with the very same initializer and task (``_init_worker``,
``_analyze_in_worker``): a Ray worker process loads the detector once, on its first
task, and keeps it for the next ones, as a pool worker does. Only the parent (the Ray
driver) walks the sources, downloads URLs, writes the results store and prints rows.

What Ray gives for free replaces the pool's bookkeeping: a task whose worker process
dies fails alone with ``WorkerCrashedError`` (no retries: a file that kills its worker
would kill the next one too), so it becomes a crash row without suspects to rerun.
Submission stays bounded (:data:`~soundproof.scan.runner.IN_FLIGHT_PER_WORKER` tasks
per cluster CPU), so a playlist of a million entries never sits in the object store.

Where the audio is: a task opens its path on whichever node runs it, so a multi-node
cluster needs the audio at the same path on every node (shared storage), and URL
entries, which the driver downloads into ``SOUNDPROOF_HOME``, need that folder shared
too; the results store then belongs in PostgreSQL (``SOUNDPROOF_DATABASE``). A local
Ray, started for the run when no address is given, needs none of that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from soundproof.errors import UsageError

if TYPE_CHECKING:
    from soundproof.detect.result import TrackResult

#: Memory Ray may use for its object store when it is started for one scan. Tasks pass
#: paths in and small rows out, so the default (30% of RAM in /dev/shm) is far too much.
LOCAL_OBJECT_STORE_BYTES = 128 * 1024 * 1024

_initialized_with: tuple[Any, ...] | None = None


def _run_task(
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    task: Callable[[str], Any],
    path: str,
) -> Any:
    """Body of the Ray task: initialise this worker process once per setup, then run."""
    global _initialized_with
    key = (initializer, initargs)
    if _initialized_with != key:
        initializer(*initargs)
        _initialized_with = key
    return task(path)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError("--engine ray needs Ray: pip install 'soundproof[cluster]'") from None
    return ray


class RayRunner:
    """Bounded submission of Ray tasks, rows yielded as they finish (or in input order)."""

    def __init__(
        self,
        *,
        address: str | None,
        workers: int,
        initializer: Callable[..., None],
        initargs: tuple[Any, ...],
        task: Callable[[str], TrackResult],
        ordered: bool,
        in_flight_per_cpu: int,
    ) -> None:
        self.ray = _import_ray()
        self.address = address
        self.workers = workers
        self.initializer = initializer
        self.initargs = initargs
        self.task = task
        self.ordered = ordered
        self.in_flight_per_cpu = in_flight_per_cpu
        self.started_here = False

    def _connect(self) -> int:
        """Join the cluster at ``address`` (or start a local Ray); return its CPU count."""
        ray = self.ray
        if not ray.is_initialized():
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if self.address:
                options["address"] = self.address
            else:
                options["num_cpus"] = self.workers
                options["object_store_memory"] = LOCAL_OBJECT_STORE_BYTES
            try:
                ray.init(**options)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.address or "a local Ray instance"
                raise UsageError(f"cannot start or reach {where}: {exc}") from None
            self.started_here = True
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def run(self, items: Iterator[Any]) -> Iterator[TrackResult]:
        """Yield a row for every item; shuts a Ray started here down at the end."""
        from soundproof.scan import runner

        ray = self.ray
        try:
            cpus = self._connect()
            remote = ray.remote(max_retries=0)(_run_task)
            limit = self.in_flight_per_cpu * cpus
            in_flight: dict[Any, Any] = {}
            release = runner.RowRelease(self.ordered)
            exhausted = False
            while True:
                while not exhausted and len(in_flight) + len(release) < limit:
                    item = next(items, None)
                    if item is None:
                        exhausted = True
                    elif item.source.error is not None:
                        yield from release.add(item.index, runner._source_error_row(item.source))
                    else:
                        path = runner._input_path(item.source)
                        ref = remote.remote(self.initializer, self.initargs, self.task, path)
                        in_flight[ref] = item
                if not in_flight:
                    break
                ready, _ = ray.wait(list(in_flight), num_returns=1)
                for ref in ready:
                    item = in_flight.pop(ref)
                    yield from release.add(item.index, self._row(ref, item, runner))
        finally:
            if self.started_here:
                ray.shutdown()

    def _row(self, ref: Any, item: Any, runner: Any) -> TrackResult:
        """The finished task's row: its result, a crash row, or an exception row."""
        ray = self.ray
        try:
            result = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause
            if isinstance(cause, runner.WorkerInitError):
                raise cause.error from None
            return runner._with_metadata(
                runner._exception_row(item.source.path, cause), item.source
            )
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.OutOfMemoryError):
            return runner._crash_row(item.source)
        return runner._with_metadata(result, item.source)


__all__ = ["LOCAL_OBJECT_STORE_BYTES", "RayRunner"]
