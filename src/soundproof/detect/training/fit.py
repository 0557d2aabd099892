"""Fit the shipped logistic model, and the held-out models the evaluation needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from soundproof.detect.features import FEATURE_NAMES
from soundproof.detect.model import AnalysisSettings, CombModel
from soundproof.detect.training.dataset import Dataset

#: Rows the classifier learns from; robustness conditions are kept for evaluation only.
TRAIN_CONDITIONS = ("clean", "chain", "blend")
#: Families with no learned upsampler (Griffin-Lim inverts a spectrogram with a
#: fixed STFT). They leave no comb, so as "ai" rows of a comb classifier they are
#: label noise that only raises false positives; they are still evaluated.
NO_UPSAMPLER_FAMILIES = ("griffinlim",)
#: Inverse L2 strength; mild, so no single feature's scale dominates.
REGULARISATION_C = 1.0


def fit_model(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    version: str,
    trained: dict[str, object] | None = None,
    human_below: float = 0.25,
    ai_above: float = 0.75,
) -> CombModel:
    """Standardise, then fit a class-balanced L2 logistic regression."""
    from sklearn.linear_model import LogisticRegression

    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-9] = 1.0
    clf = LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=5000)
    clf.fit((features - mean) / scale, labels)
    return CombModel(
        version=version,
        feature_names=FEATURE_NAMES,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in clf.coef_[0]),
        intercept=float(clf.intercept_[0]),
        human_below=human_below,
        ai_above=ai_above,
        analysis=AnalysisSettings(),
        trained=dict(trained or {}),
    )


def decided_mask(data: Dataset) -> np.ndarray:
    """Rows the detector does not abstain on for bandwidth (it never scores those)."""
    return data.column("bandwidth_hz").astype(float) >= AnalysisSettings().min_bandwidth_hz


def scored_rows(data: Dataset, heldout: np.ndarray) -> tuple[Dataset, np.ndarray]:
    """The rows an evaluation reports on, with their scores: held-out scored and decided."""
    keep = np.isfinite(heldout) & decided_mask(data)
    rows = [row for row, kept in zip(data.rows, keep, strict=True) if kept]
    return Dataset(data.features[keep], rows), heldout[keep]


def training_mask(data: Dataset) -> np.ndarray:
    """Rows of the training conditions that the detector would score."""
    return (
        np.isin(data.column("condition"), TRAIN_CONDITIONS)
        & decided_mask(data)
        & ~np.isin(data.column("family"), NO_UPSAMPLER_FAMILIES)
    )


#: Scores feature rows with p(ai).
Scorer = Callable[[np.ndarray], np.ndarray]
#: Fits a classifier on (features, labels) and returns its scorer.
Fitter = Callable[[np.ndarray, np.ndarray], Scorer]


def fit_shipped_kind(features: np.ndarray, labels: np.ndarray) -> Scorer:
    """The shipped kind of classifier (:func:`fit_model`), as a :data:`Fitter`."""
    return fit_model(features, labels, version="heldout").probability


def heldout_probabilities(
    data: Dataset, log: Callable[[str], None] = print, fit: Fitter = fit_shipped_kind
) -> np.ndarray:
    """p(ai) of every row from a model that never saw its package nor, for a fake, its family.

    One model per (package, family) pair: a real excerpt is scored by the model
    trained without its package, a fake by the one trained without its package
    *and* its decoder family. Nothing about a test row's source leaks into its score.
    ``fit`` picks the kind of classifier (the shipped one by default), so that other
    kinds can be compared under exactly this protocol.
    """
    packages, families = data.column("package"), data.column("family")
    train_rows = training_mask(data)
    probabilities = np.full(len(data.rows), np.nan)
    for package in np.unique(packages):
        for family in [None, *np.unique(families[families != "real"])]:
            keep = train_rows & (packages != package)
            target = packages == package
            if family is None:
                target &= families == "real"
            else:
                keep &= families != family
                target &= families == family
            if not np.any(target):
                continue
            score = fit(data.features[keep], data.labels[keep])
            probabilities[target] = score(data.features[target])
    log(f"held-out scoring: {int(np.sum(np.isfinite(probabilities)))} rows")
    return probabilities


#: Operating point: at most this share of real excerpts may be called "ai"...
TARGET_FALSE_POSITIVE_RATE = 0.01
#: ...and at most this share of comb-leaving fakes may be called "human".
TARGET_MISS_RATE = 0.05


def choose_thresholds(data: Dataset, heldout: np.ndarray) -> tuple[float, float]:
    """Verdict thresholds from held-out scores of the realistic training rows.

    Only ``chain`` rows without added noise count (real excerpts and full-strength
    fakes through the random codec chain; the deliberately faint ``blend`` rows would
    push the human threshold down and make most real music abstain). Noise lowers the
    scores of real music too, so noisy rows would let the ``ai`` threshold drop below
    what keeps clean real music within the false-positive target. ``ai_above`` is the lowest
    score that keeps the false-positive rate on real excerpts within
    TARGET_FALSE_POSITIVE_RATE; ``human_below`` the highest that keeps the miss
    rate on comb-leaving fakes within TARGET_MISS_RATE. Scores in between abstain.
    """
    from soundproof.detect.training.chain import adds_noise

    noisy = np.array([adds_noise(c) for c in data.column("chain")], dtype=bool)
    rows = (
        training_mask(data) & np.isfinite(heldout) & (data.column("condition") == "chain") & ~noisy
    )
    real = np.sort(heldout[rows & (data.labels == 0)])
    fake = np.sort(heldout[rows & (data.labels == 1)])
    k = int(np.floor(TARGET_FALSE_POSITIVE_RATE * real.size))
    ai_above = float(min(0.99, max(0.5, real[-(k + 1)] + 1e-6))) if real.size else 0.75
    m = int(np.floor(TARGET_MISS_RATE * fake.size))
    human_below = float(max(0.01, min(0.5, fake[m] - 1e-6))) if fake.size else 0.25
    return round(human_below, 4), round(ai_above, 4)


def final_model(
    data: Dataset,
    version: str,
    summary: dict[str, object],
    thresholds: tuple[float, float] = (0.25, 0.75),
) -> CombModel:
    """The model that ships: every training row of every package and family."""
    mask = training_mask(data)
    trained = {"date": dt.date.today().isoformat(), "rows": int(mask.sum()), **summary}
    return fit_model(
        data.features[mask],
        data.labels[mask],
        version=version,
        trained=trained,
        human_below=thresholds[0],
        ai_above=thresholds[1],
    )
