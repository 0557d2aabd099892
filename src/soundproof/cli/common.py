"""What every command shares: exit codes, and turning errors into one line for the user.

DESIGN.md's error contract: a :class:`~soundproof.errors.SoundproofError` carries a
message written for the user, so the CLI prints ``error: <message>`` on stderr with no
traceback (unless ``--debug``) and exits with :data:`EXIT_USAGE`. Every command is
wrapped by :func:`cli_command`, so the rule holds for commands added later too
(``soundproof detect train`` and friends)::

    @app.command()
    @cli_command
    def train(..., debug: DebugOption = False) -> None: ...

``--debug`` may be given to the command (a ``debug`` parameter) or before it
(``soundproof --debug CMD``); ``SOUNDPROOF_DEBUG=1`` does the same.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer
from typer.exceptions import TyperException

from soundproof.errors import SoundproofError

EXIT_OK = 0
"""Success (findings, if any, were not asked to fail the run)."""
EXIT_FINDINGS = 1
"""A row matched ``--fail-on``."""
EXIT_USAGE = 2
"""A usage error, or input that could not be used at all."""
EXIT_INTERNAL = 3
"""A bug: an unexpected exception (rerun with ``--debug`` for the traceback)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C, as shells report a SIGINT."""

DebugOption = Annotated[
    bool,
    typer.Option("--debug", help="Show full tracebacks instead of one-line errors."),
]
"""The ``--debug`` option, for commands to declare as ``debug: DebugOption = False``."""

P = ParamSpec("P")
R = TypeVar("R")

_global_debug = False


def set_global_debug(value: bool) -> None:
    """Record ``soundproof --debug`` (given before the command name)."""
    global _global_debug
    _global_debug = value


def debug_enabled(command_flag: bool = False) -> bool:
    """Whether tracebacks are wanted: the command's flag, the global flag or the env var."""
    env = os.environ.get("SOUNDPROOF_DEBUG", "").strip().lower()
    return command_flag or _global_debug or env in {"1", "true", "yes", "on"}


def print_error(message: str) -> None:
    """Print ``error: <message>`` on stderr, the one format every command uses."""
    print(f"error: {message}", file=sys.stderr, flush=True)


def cli_command(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a Typer command so errors follow the CLI contract.

    * :class:`SoundproofError`: ``error: <message>`` on stderr, exit 2.
    * Any other exception is a bug: a one-line ``internal error`` hint, exit 3.
    * Ctrl-C: ``error: interrupted``, exit 130.
    * With ``--debug`` all of them are re-raised, traceback and all.

    Typer's own exits, aborts and usage errors (``typer.Exit``, ``typer.BadParameter``)
    pass through untouched. The
    wrapper keeps the signature (``functools.wraps``), so Typer still sees the options.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        debug = debug_enabled(bool(kwargs.get("debug", False)))
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except KeyboardInterrupt:
            if debug:
                raise
            print_error("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except SoundproofError as exc:
            if debug:
                raise
            print_error(str(exc))
            raise typer.Exit(EXIT_USAGE) from None
        except Exception as exc:
            if debug:
                raise
            print_error(
                f"internal error: {type(exc).__name__}: {exc} "
                "(this is a bug; rerun with --debug for the traceback)"
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper


__all__ = [
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "DebugOption",
    "cli_command",
    "debug_enabled",
    "print_error",
    "set_global_debug",
]
