"""The ``soundproof`` command line (console script ``soundproof = soundproof.cli.main:app``).

Commands are thin: ``scan`` is :func:`soundproof.scan.scan` plus a way to show the rows,
``demo`` is :func:`soundproof.demo.make_demo_set` followed by a scan. Exit codes follow
DESIGN.md: 0 success; 1 only when a row matched ``--fail-on``; 2 for a usage error or
when no input could be used at all (every path missing, every file undecodable, or no
audio file found). A bug exits 3 with a one-line hint (see
:mod:`soundproof.cli.common`); Ctrl-C exits 130.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from soundproof import __version__
from soundproof.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    DebugOption,
    cli_command,
    print_error,
    set_global_debug,
)
from soundproof.cli.detect import detect_app
from soundproof.cli.ledger import ledger_app
from soundproof.cli.output import Tally, render_table, write_csv, write_jsonl
from soundproof.errors import UsageError

if TYPE_CHECKING:
    from soundproof.ledger import Ledger

app = typer.Typer(
    name="soundproof",
    help="Open, on-premise audio trust: is this track AI-generated, and why?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(detect_app, name="detect")
app.add_typer(ledger_app, name="ledger")


class OutputFormat(StrEnum):
    """How ``scan`` prints its rows."""

    table = "table"
    jsonl = "jsonl"
    csv = "csv"


class Engine(StrEnum):
    """Where ``scan`` runs the per-file work."""

    local = "local"
    ray = "ray"


class FailOn(StrEnum):
    """Verdicts that make ``scan`` exit 1 when ``--fail-on`` names them."""

    ai = "ai"
    uncertain = "uncertain"
    error = "error"


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"soundproof {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks for every command.")
    ] = False,
) -> None:
    """Open, on-premise audio trust: is this track AI-generated, and why?"""
    set_global_debug(debug)


WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-j",
        min=0,
        help=(
            "Worker processes; 0 = one per core, 1 = in-process. Default: SOUNDPROOF_WORKERS or 0."
        ),
    ),
]
NoProgressOption = Annotated[
    bool, typer.Option("--no-progress", help="Hide the progress line on stderr.")
]


@app.command(
    help=(
        "Tell, for each audio file, whether it was made by an AI music generator.\n\n"
        "PATH may be an audio file, a directory (searched recursively) or a playlist: "
        "M3U/M3U8, PLS, XSPF, CSV (a path or url column), a Spotify or Deezer API playlist "
        "(.json) or an Apple Music / iTunes library export (.xml). Playlist entries are "
        "scanned in place and their rows carry title, artist, isrc, source, platform and "
        "position. URL entries (http/https) are downloaded within size and time limits "
        "and cached; private and loopback addresses need --allow-private-urls.\n\n"
        "Each row has a verdict (ai, human, uncertain or error), a calibrated p_ai and an "
        "explanation. A file that cannot be analysed is an error row; the scan goes on. "
        "Exit codes: 0 success, 1 a --fail-on verdict was found, 2 usage error or no "
        "usable input."
    )
)
@cli_command
def scan(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Audio files, directories to search recursively, or playlist files.",
            metavar="PATH",
            show_default=False,
        ),
    ],
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="table for people, jsonl or csv for scripts."),
    ] = OutputFormat.table,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE instead of stdout.", dir_okay=False),
    ] = None,
    workers: WorkersOption = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="Detector model file (default: the shipped model).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    fail_on: Annotated[
        list[FailOn] | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 if any track gets this verdict (repeatable).",
            case_sensitive=False,
        ),
    ] = None,
    no_progress: NoProgressOption = False,
    ordered: Annotated[
        bool,
        typer.Option("--ordered", help="jsonl/csv: write rows in input order, not as they finish."),
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Analyse every file, neither reading nor writing remembered results.",
        ),
    ] = False,
    allow_private_urls: Annotated[
        bool,
        typer.Option(
            "--allow-private-urls",
            help=(
                "Download playlist URLs on private, loopback and link-local addresses "
                "too (refused by default: a playlist must not probe your network)."
            ),
        ),
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help=(
                "Also write a self-contained HTML report to FILE: summary, sortable table, "
                "and the spectrum of every track called ai or uncertain."
            ),
            dir_okay=False,
        ),
    ] = None,
    html_plots: Annotated[
        int,
        typer.Option("--html-plots", min=0, help="--html: spectra of at most N tracks."),
    ] = 200,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="local: a process pool on this machine; ray: Ray tasks (a cluster or local Ray).",
            case_sensitive=False,
        ),
    ] = Engine.local,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="--engine ray: the cluster to join (e.g. ray://head:10001 or auto); "
            "default: start a local Ray for this scan.",
        ),
    ] = None,
    sign: Annotated[
        bool,
        typer.Option(
            "--sign",
            help=(
                "Log every verdict in the provenance ledger and put its signed attestation "
                "(a JWS that `soundproof ledger verify-attestation` checks offline) and its "
                "log_index into the row. Needs a signing key: `soundproof ledger keys generate`."
            ),
        ),
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Tell, for each audio file, whether it was made by an AI music generator.

    PATH may be a file, a directory or a playlist (M3U, PLS, XSPF, CSV, Spotify or
    Deezer JSON, Apple library XML), whose entries are scanned with their metadata.
    Each row has a verdict (ai, human, uncertain or error), a calibrated p_ai and an
    explanation. A file that cannot be analysed is an error row; the scan goes on.
    """
    code = run_scan(
        paths,
        output_format=output_format,
        output=output,
        workers=workers,
        model=model,
        fail_on={f.value for f in fail_on or ()},
        progress=not no_progress,
        ordered=ordered,
        html=html,
        html_plots=html_plots,
        allow_private_urls=allow_private_urls,
        cache=not no_cache,
        engine=engine.value,
        ray_address=ray_address,
        sign=sign,
    )
    raise typer.Exit(code)


@app.command(
    help=(
        "Write a small offline demo set (human, AI and broken files) and scan it.\n\n"
        'The "human" clips are synthesised music, the "ai" ones the same clips through a '
        "small neural decoder, and broken.mp3 shows an error row. See OUT/README.txt."
    )
)
@cli_command
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the demo set into.", file_okay=False)
    ] = Path("demo-data"),
    seed: Annotated[int, typer.Option(help="Changes every melody and decoder weight.")] = 0,
    workers: WorkersOption = None,
    no_progress: NoProgressOption = False,
    debug: DebugOption = False,
) -> None:
    """Write a small offline demo set (human, AI and broken files) and scan it.

    The "human" clips are synthesised music; the "ai" ones are the same clips through
    a small neural decoder; broken.mp3 shows an error row. See OUT/README.txt.
    """
    from soundproof.demo import make_demo_set

    err = Console(stderr=True)
    with err.status("synthesising the demo set", spinner="dots"):
        files = make_demo_set(out, seed=seed)
    err.print(f"wrote {len(files)} files to {out} (see {out / 'README.txt'}); scanning them")
    inputs = [out / "human", out / "ai", out / "broken.mp3"]
    code = run_scan(
        [str(path) for path in inputs],
        output_format=OutputFormat.table,
        output=None,
        workers=workers,
        model=None,
        fail_on=set(),
        progress=not no_progress,
        ordered=True,
    )
    raise typer.Exit(code)


def run_scan(
    paths: Sequence[str],
    *,
    output_format: OutputFormat,
    output: Path | None,
    workers: int | None,
    model: Path | None,
    fail_on: set[str],
    progress: bool,
    ordered: bool,
    html: Path | None = None,
    html_plots: int = 200,
    allow_private_urls: bool = False,
    cache: bool = True,
    engine: str = "local",
    ray_address: str | None = None,
    sign: bool = False,
) -> int:
    """Scan ``paths``, print the rows, and return the exit code (0, 1 or 2)."""
    from soundproof.config import get_settings
    from soundproof.scan import scan as scan_paths

    if not paths:
        raise UsageError("no PATH given")
    n_workers = workers if workers is not None else get_settings().workers
    tally = Tally()
    report = None
    if html is not None:  # checked writable now, written after the scan
        from soundproof.report import HtmlReport

        report = HtmlReport(html, inputs=len(paths), detector_path=model, max_plots=html_plots)
    with ExitStack() as stack:
        out: IO[str] = sys.stdout
        if output is not None:
            try:
                out = stack.enter_context(output.open("w", encoding="utf-8"))
            except OSError as exc:
                raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
        ledger = None
        if sign:  # the ledger and its key are checked before any work starts
            from soundproof.ledger import Ledger

            ledger = stack.enter_context(Ledger.open())
            signing_key = ledger.signing_key()
        results = scan_paths(
            paths,
            workers=n_workers,
            detector_path=model,
            progress=progress,
            ordered=ordered or output_format is OutputFormat.table,
            allow_private_urls=allow_private_urls,
            cache=cache,
            engine=engine,
            ray_address=ray_address,
        )
        stack.callback(results.close)  # shuts the worker pool down, even on an early exit
        if ledger is not None:
            from soundproof.ledger.scanning import sign_results

            results = sign_results(results, ledger, key=signing_key)
            stack.callback(lambda: _print_signed(ledger, tally))
        if report is not None:
            results = report.collect(results)  # keeps each row for the page
        if output_format is not OutputFormat.table:
            write_rows = write_jsonl if output_format is OutputFormat.jsonl else write_csv
            try:
                write_rows(results, out, tally)
            except BrokenPipeError:
                # The reader went away (`| head`): stop quietly, as Unix tools do.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                return EXIT_OK
            print(tally.summary(), file=sys.stderr)
        else:
            console = _table_console(out if output is not None else None)
            render_table(results, console, tally)
            console.print(tally.summary(), highlight=False)
    if report is not None:
        written = report.write()
        print(f"wrote {written.path} ({written.plots} spectra)", file=sys.stderr)
    return _exit_code(tally, fail_on)


def _print_signed(ledger: Ledger, tally: Tally) -> None:
    """Say where the signed verdicts went (stderr, after the summary)."""
    signed = tally.signed
    if signed:
        print(
            f"signed {signed} verdict{'s' if signed != 1 else ''} into the ledger "
            f"{ledger.origin} at {ledger.url} (entries up to {tally.last_log_index})",
            file=sys.stderr,
        )


def _table_console(file: IO[str] | None) -> Console:
    """A console for the table: colours on a terminal, plain and wide in a file or pipe."""
    if file is not None:
        return Console(file=file, no_color=True, width=160, highlight=False)
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=160)
    return console


def _exit_code(tally: Tally, fail_on: set[str]) -> int:
    """Apply the exit-code contract, explaining a 2 on stderr."""
    if tally.total == 0:
        print_error("no audio files found in the given paths")
        return EXIT_USAGE
    if tally.usable == 0:
        noun = "input" if tally.total == 1 else f"all {tally.total} inputs"
        print_error(f"no usable input: {noun} failed (see the error rows)")
        return EXIT_USAGE
    if any(tally.counts[label] for label in fail_on):
        return EXIT_FINDINGS
    return EXIT_OK


__all__ = ["app", "main", "run_scan"]

if __name__ == "__main__":  # python -m soundproof.cli.main
    app()
