"""Compare kinds of classifier on the detector's features, under the evaluation's protocol.

Run ``python scripts/compare_classifiers.py`` (after ``make train``, which builds the
feature table in the cache). Every kind is scored exactly as ``soundproof detect eval``
scores the shipped one: held-out packages and decoder families
(:func:`soundproof.detect.training.fit.heldout_probabilities`), verdict thresholds chosen
from those held-out scores (:func:`~soundproof.detect.training.fit.choose_thresholds`),
figures from the same report code. Writes ``docs/evaluation/classifier-comparison.md``.

The question it answers: is the shipped logistic regression what limits accuracy, or are
the features? A kind that bends each feature (splines) or combines them (boosted trees)
would show it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from soundproof.config import Settings
from soundproof.detect.model import CombModel
from soundproof.detect.training.dataset import BuildConfig, Dataset
from soundproof.detect.training.evaluate import build_report, fmt
from soundproof.detect.training.fit import (
    Fitter,
    Scorer,
    choose_thresholds,
    fit_shipped_kind,
    heldout_probabilities,
    scored_rows,
)
from soundproof.detect.training.pipeline import dataset_dir

OUT = Path("docs/evaluation/classifier-comparison.md")


def sklearn_kind(make: Callable[[], object]) -> Fitter:
    """A :data:`Fitter` for a scikit-learn estimator with ``predict_proba``."""

    def fit(features: np.ndarray, labels: np.ndarray) -> Scorer:
        estimator = make()
        estimator.fit(features, labels)  # type: ignore[attr-defined]
        return lambda rows: estimator.predict_proba(rows)[:, 1]  # type: ignore[attr-defined]

    return fit


KINDS: dict[str, Fitter] = {
    "logistic regression (shipped)": fit_shipped_kind,
    "additive splines + logistic (GAM, 5 knots)": sklearn_kind(
        lambda: make_pipeline(
            StandardScaler(),
            SplineTransformer(n_knots=5, degree=3, extrapolation="linear"),
            LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000),
        )
    ),
    "gradient-boosted trees, depth 3": sklearn_kind(
        lambda: HistGradientBoostingClassifier(
            max_depth=3, max_iter=300, learning_rate=0.05, class_weight="balanced"
        )
    ),
    "gradient-boosted trees, depth 2, L2 5": sklearn_kind(
        lambda: HistGradientBoostingClassifier(
            max_depth=2,
            max_iter=300,
            learning_rate=0.05,
            l2_regularization=5.0,
            class_weight="balanced",
        )
    ),
}

COLUMNS = (
    "ROC-AUC",
    "balanced accuracy (p=0.5)",
    "FPR (p=0.5)",
    "verdict `ai` on fakes",
    "verdict `ai` on real",
    "noise 20 dB recall (p=0.5)",
    "noise 20 dB verdict `ai`",
    "ECE",
)


def figures(data: Dataset, p: np.ndarray, shipped: CombModel) -> tuple[list[str], float]:
    """The table cells of one kind, and its upper verdict threshold."""
    human_below, ai_above = choose_thresholds(data, p)
    model = replace(shipped, human_below=human_below, ai_above=ai_above)
    report = build_report(*scored_rows(data, p), model)
    head, noise = report["overall_comb_families"], report["robustness"]["noise_20db"]
    cells = [
        *(
            fmt(head[key])
            for key in (
                "roc_auc",
                "balanced_accuracy",
                "false_positive_rate",
                "verdict_recall",
                "verdict_false_positive_rate",
            )
        ),
        fmt(noise["recall_comb_families"]),
        fmt(noise["verdict_recall_comb_families"]),
        f"{report['calibration']['ece']:.3f}",
    ]
    return cells, ai_above


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    cache = Settings().cache_dir
    data = Dataset.load(dataset_dir(cache), BuildConfig())
    if data is None:
        raise SystemExit("no feature table in the cache: run `make train` first")
    shipped = CombModel.load()
    rows = []
    for name, fit in KINDS.items():
        started = time.perf_counter()
        p = heldout_probabilities(data, log=lambda _: None, fit=fit)
        cells, ai_above = figures(data, p, shipped)
        rows.append(f"| {name} | {ai_above:.3f} | " + " | ".join(cells) + " |")
        print(f"{name}: {time.perf_counter() - started:.0f} s")
    lines = [
        "# Kinds of classifier on the detector's features",
        "",
        f"Generated {dt.date.today().isoformat()} on {platform.machine()} by "
        "`python scripts/compare_classifiers.py`, from the feature table of "
        f"`soundproof detect train` ({len(data.rows)} rows).",
        "",
        "Every kind is scored as `soundproof detect eval` scores the shipped model: by fits "
        "that saw neither the row's Debian package nor, for a fake, its decoder family. Its "
        "verdict threshold is chosen from its own held-out scores, as training chooses the "
        "shipped one (at most 1% of real chain excerpts called `ai`). Headline figures are "
        "the chain rows of the upsampling families and real music; the noise row is the "
        "robustness condition of white noise at 20 dB SNR. Intervals are 95%.",
        "",
        "| classifier | `ai` threshold | " + " | ".join(COLUMNS) + " |",
        "|---|---|" + "---|" * len(COLUMNS),
        *rows,
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
