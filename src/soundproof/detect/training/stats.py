"""Confidence intervals for the evaluation report (no test statistics are tuned here)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats


@dataclass(frozen=True)
class Estimate:
    """A rate or score with its 95% confidence interval and the count behind it."""

    value: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {"value": self.value, "ci95_low": self.low, "ci95_high": self.high, "n": self.n}

    def pct(self) -> str:
        """'99.2% [98.1, 99.7] (n=512)' for Markdown tables."""
        if self.n == 0:
            return "n/a (n=0)"
        return f"{100 * self.value:.1f}% [{100 * self.low:.1f}, {100 * self.high:.1f}] (n={self.n})"


def wilson(successes: int, n: int, z: float = 1.959964) -> Estimate:
    """Wilson score interval for a binomial rate; sound at 0% and 100% too."""
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), n)


def roc_auc(labels: NDArray[np.int_], scores: NDArray[np.float64]) -> float:
    """Area under the ROC curve via the Mann-Whitney U statistic (ties count half)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    ranks = stats.rankdata(np.concatenate([pos, neg]))
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2
    return float(u / (pos.size * neg.size))


def auc_interval(
    labels: NDArray[np.int_], scores: NDArray[np.float64], z: float = 1.959964
) -> Estimate:
    """AUC with the Hanley-McNeil (1982) standard error, clipped to [0, 1]."""
    auc = roc_auc(labels, scores)
    n_pos, n_neg = int(np.sum(labels == 1)), int(np.sum(labels == 0))
    if not np.isfinite(auc):
        return Estimate(auc, auc, auc, labels.size)
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
        n_pos * n_neg
    )
    half = z * float(np.sqrt(max(var, 0.0)))
    return Estimate(auc, max(0.0, auc - half), min(1.0, auc + half), labels.size)


def balanced_accuracy(tpr: Estimate, tnr: Estimate, z: float = 1.959964) -> Estimate:
    """Mean of recall and specificity, with a normal-approximation interval of the mean."""
    value = (tpr.value + tnr.value) / 2
    var = 0.0
    for est in (tpr, tnr):
        if est.n:
            var += max(est.value * (1 - est.value), 1.0 / est.n) / est.n / 4
    half = z * float(np.sqrt(var))
    return Estimate(value, max(0.0, value - half), min(1.0, value + half), tpr.n + tnr.n)
