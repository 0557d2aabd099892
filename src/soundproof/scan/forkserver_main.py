"""Load the parent's ``__main__`` once in the forkserver, not once per worker.

A worker started by the forkserver first imports the parent's main script (so that
functions defined there can be unpickled). Listing ``"__main__"`` in the forkserver's
preload is meant to do that once, in the server, but on Python before 3.13 the main
script's path never reaches the server (CPython gh-126631, gh-137996), so every worker
of every pool imports it again. For the ``soundproof`` command that is the whole CLI
and its libraries, seconds of start-up for a scan answered from its results store.

:func:`start_forkserver` (in the parent) starts the server with how to find ``__main__``
in an environment variable; importing this module in the server (it is preloaded)
loads it as multiprocessing itself would. Workers forked from the server
then find ``__main__`` already in place and skip the import. It must be preloaded last
(and imported nowhere else at module level): the main script usually imports
soundproof, which has to be complete by then.
"""

from __future__ import annotations

import contextlib
import json
import os

ENV = "SOUNDPROOF_FORKSERVER_MAIN"


def start_forkserver() -> None:
    """Start the forkserver (if not yet running) with this process's ``__main__`` loaded.

    The variable is set only while the server starts, so no other child inherits it.
    """
    from multiprocessing import forkserver, spawn

    data = spawn.get_preparation_data("forkserver")
    wanted = {k: data[k] for k in ("init_main_from_name", "init_main_from_path") if k in data}
    os.environ[ENV] = json.dumps(wanted)
    try:
        forkserver.ensure_running()
    finally:
        os.environ.pop(ENV, None)


def _load_main_in_server() -> None:
    wanted = json.loads(os.environ.pop(ENV, "") or "{}")
    if wanted:
        from multiprocessing import spawn

        # Should the script fail here, workers import it themselves, as they always did.
        with contextlib.suppress(Exception):
            spawn.prepare(wanted)


if __name__ != "__main__":  # preloaded by name in the forkserver
    _load_main_in_server()
