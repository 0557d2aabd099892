"""The held-out protocol: no score comes from a fit that saw the row's package or family."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from soundproof.detect.features import FEATURE_NAMES
from soundproof.detect.training.dataset import Dataset, Row
from soundproof.detect.training.fit import Scorer, heldout_probabilities

PACKAGES = ("flare-game", "freedoom", "supertux-data")
FAMILIES = ("tconv", "seanet")
#: The last is a robustness condition: scored, never learned from.
CONDITIONS = ("clean", "chain", "noise_20db")


def _dataset() -> Dataset:
    """Rows whose first features encode package, family and condition, so a fit can tell."""
    rows, features = [], []
    for p_index, package in enumerate(PACKAGES):
        for f_index, family in enumerate(("real", *FAMILIES)):
            for c_index, condition in enumerate(CONDITIONS):
                rows.append(
                    Row(
                        label=int(family != "real"),
                        package=package,
                        track=f"{package}/t.ogg",
                        start_s=0.0,
                        family=family,
                        decoder=f"{family}-24k-x256" if family != "real" else "real",
                        condition=condition,
                        chain="none",
                        sample_rate=24000,
                        bandwidth_hz=12000.0,
                    )
                )
                vector = np.zeros(len(FEATURE_NAMES))
                vector[:3] = (p_index, f_index, c_index)
                features.append(vector)
    return Dataset(np.vstack(features), rows)


def test_every_row_is_scored_by_a_fit_blind_to_its_package_and_family() -> None:
    data = _dataset()
    fits: list[set[tuple[float, float]]] = []
    conditions_learned: set[float] = set()

    def remembering_fit(features: np.ndarray, labels: np.ndarray) -> Scorer:
        seen = {(float(a), float(b)) for a, b in features[:, :2]}
        fits.append(seen)
        conditions_learned.update(features[:, 2].tolist())
        # 1 where the fit saw this row's package, 0.5 where it saw only the family, else 0
        packages_seen = {a for a, _ in seen}
        families_seen = {b for _, b in seen}

        def score(rows: np.ndarray) -> np.ndarray:
            return np.array(
                [
                    1.0 if a in packages_seen else 0.5 if b in families_seen and b > 0 else 0.0
                    for a, b in rows[:, :2]
                ]
            )

        return score

    p = heldout_probabilities(data, log=lambda _: None, fit=remembering_fit)

    assert np.all(np.isfinite(p))  # robustness rows are scored too, though never fitted on
    assert np.all(p == 0.0)
    # one fit per package for its real rows, one per (package, family) for its fakes
    assert len(fits) == len(PACKAGES) * (1 + len(FAMILIES))
    assert conditions_learned == {0.0, 1.0}
