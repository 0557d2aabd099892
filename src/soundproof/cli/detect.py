"""``soundproof detect train`` and ``soundproof detect eval``.

Both need the ``[train]`` extra (torch for the decoder zoo, soxr, scikit-learn); the
core install can scan without them. Data and intermediate artifacts go to the cache
under ``SOUNDPROOF_HOME``; only the model file and the report leave it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from soundproof.cli.common import DebugOption, cli_command
from soundproof.config import get_settings

detect_app = typer.Typer(
    name="detect",
    help="Train and evaluate the AI-music detector.",
    no_args_is_help=True,
)

DEFAULT_MODEL_NAME = "detector.json"


def _log(message: str) -> None:
    typer.echo(message, err=True)


@detect_app.command()
@cli_command
def train(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Model file to write (default: detector.json in the cache)."
        ),
    ] = None,
    version: Annotated[
        str, typer.Option(help="Version string recorded in the model and every verdict.")
    ] = "comb-logistic-1.3",
    reuse: Annotated[
        bool,
        typer.Option(
            "--reuse",
            help="Reuse the cached decoders and feature table instead of rebuilding from scratch.",
        ),
    ] = False,
    max_per_package: Annotated[
        int, typer.Option(help="Real excerpts per Debian package (the corpus cap).")
    ] = 70,
    workers: Annotated[int, typer.Option(help="Processes for rendering; 0 = one per core.")] = 0,
    debug: DebugOption = False,
) -> None:
    """Rebuild the training data (corpus, decoder zoo, fakes, features) and fit the model."""
    from soundproof.detect.training.dataset import BuildConfig
    from soundproof.detect.training.pipeline import train as run_train

    cache = get_settings().cache_dir
    target = output or cache / "detector" / DEFAULT_MODEL_NAME
    config = BuildConfig(max_per_package=max_per_package, workers=workers)
    run_train(cache, target, version=version, config=config, from_scratch=not reuse, log=_log)
    typer.echo(str(target))


@detect_app.command("eval")
@cli_command
def evaluate(
    out: Annotated[
        Path, typer.Option("--out", help="Directory for detector-eval.md and .json.")
    ] = Path("docs/evaluation"),
    model: Annotated[
        Path | None,
        typer.Option(help="Model whose thresholds and version are evaluated (default: shipped)."),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Evaluate on held-out packages and decoder families; write the report."""
    from soundproof.detect.model import CombModel
    from soundproof.detect.training.pipeline import evaluate as run_eval

    run_eval(get_settings().cache_dir, CombModel.load(model), out, log=_log)
    typer.echo(str(out / "detector-eval.md"))


__all__ = ["detect_app"]
