"""Download the remote sources of a scan ahead of the analysis: :func:`fetch_remote`.

Where downloads run, and why: in a few threads of the *parent* process, not in the
analysis workers. A download waits on the network, an analysis on the CPU; doing the
downloads inside the process pool would leave cores idle while a worker waits for a slow
server (and a pool has one worker per core, so at most that many downloads would run).
Threads in the parent overlap the two: while the workers analyse, the next URLs are
already being fetched, ``concurrency`` at a time.

Order and memory: sources come out in the order they went in (ordered scans rely on
the runner's numbering). When the next source is still downloading, the generator reads
further ahead, up to ``4 * concurrency`` sources, to start the following downloads
rather than wait idle; a scan with no URLs never reads ahead at all, so the runner's
bounded, lazy consumption of a directory walk is unchanged. A URL that appears twice in
the look-ahead window is downloaded once.

Each remote source comes out either with ``local`` set to its cached file (the runner
analyses that and reports the URL as the row's path) or with ``error`` set to why it
could not be downloaded: a failed download is a row, and the scan goes on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from soundproof.errors import SoundproofError
from soundproof.scan.source import Source

if TYPE_CHECKING:
    from soundproof.scan.fetch.client import Fetched, Fetcher

LOOKAHEAD_PER_DOWNLOAD = 4
"""Sources read ahead per concurrent download while the next one is not ready."""


def fetch_remote(
    sources: Iterable[Source],
    *,
    allow_private: bool = False,
    concurrency: int | None = None,
    fetcher: Fetcher | None = None,
) -> Generator[Source, None, None]:
    """Pass sources through, downloading the remote ones first (see the module docstring).

    ``allow_private`` lifts the address policy (``--allow-private-urls``);
    ``concurrency`` defaults to ``SOUNDPROOF_FETCH_CONCURRENCY``. Unless ``fetcher`` is
    given, one is made from the settings on the first remote source, and closing the
    generator early aborts its downloads in flight.
    """
    downloads = _Downloads(allow_private, concurrency, fetcher)
    it = iter(sources)
    window: deque[_Pending] = deque()
    finished = False
    try:
        while True:
            if not window:
                nxt = None if finished else next(it, None)
                if nxt is None:
                    return
                window.append(downloads.start(nxt))
            head = window[0]
            if head.future is not None and not head.future.done() and not finished:
                # The next one is still downloading: read ahead to start the others.
                while len(window) < downloads.lookahead:
                    nxt = next(it, None)
                    if nxt is None:
                        finished = True
                        break
                    window.append(downloads.start(nxt))
            window.popleft()
            if head.future is None:
                yield head.source
            else:
                yield _resolved(head.source, head.future)
                downloads.forget(head, window)
    finally:
        downloads.stop()


@dataclass(slots=True)
class _Pending:
    """A source in the look-ahead window, with its download if it is remote."""

    source: Source
    future: Future[Fetched] | None = None


class _Downloads:
    """The thread pool and fetcher of one :func:`fetch_remote`, made on first need."""

    def __init__(
        self, allow_private: bool, concurrency: int | None, fetcher: Fetcher | None
    ) -> None:
        self.allow_private = allow_private
        self.concurrency = concurrency
        self.fetcher = fetcher
        self.owned: Fetcher | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.lookahead = 1
        self.by_url: dict[str, Future[Fetched]] = {}

    def start(self, source: Source) -> _Pending:
        """Wrap ``source``, starting its download if it is a remote one."""
        if not source.remote or source.error is not None:
            return _Pending(source)
        future = self.by_url.get(source.path)
        if future is None:
            future = self._pool().submit(self._fetcher().fetch, source.path)
            self.by_url[source.path] = future
        return _Pending(source, future)

    def forget(self, done: _Pending, window: Iterable[_Pending]) -> None:
        """Drop a URL's shared download once no source in ``window`` still waits on it."""
        if all(pending.future is not done.future for pending in window):
            self.by_url.pop(done.source.path, None)

    def _fetcher(self) -> Fetcher:
        if self.fetcher is None:
            from soundproof.scan.fetch.client import Fetcher, FetchOptions

            options = FetchOptions.from_settings(allow_private=self.allow_private)
            self.owned = self.fetcher = Fetcher(options)
        return self.fetcher

    def _pool(self) -> ThreadPoolExecutor:
        if self.pool is None:
            if self.concurrency is None:
                from soundproof.config import get_settings

                self.concurrency = get_settings().fetch_concurrency
            workers = max(1, self.concurrency)
            self.pool = ThreadPoolExecutor(workers, thread_name_prefix="soundproof-fetch")
            self.lookahead = LOOKAHEAD_PER_DOWNLOAD * workers
        return self.pool

    def stop(self) -> None:
        """Cancel downloads not started; abort running ones of a fetcher made here."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        if self.owned is not None:
            self.owned.abort()
            self.owned.close()


def _resolved(source: Source, future: Future[Fetched]) -> Source:
    """The source with its downloaded file, or with the reason it has none."""
    try:
        fetched = future.result()
    except SoundproofError as exc:
        return replace(source, error=str(exc))
    except Exception as exc:  # a bug in one download must not end the scan
        reason = f"{type(exc).__name__}: {exc}"
        return replace(source, error=f"download failed: internal error: {reason}")
    return replace(source, local=str(fetched.path))


__all__ = ["LOOKAHEAD_PER_DOWNLOAD", "fetch_remote"]
