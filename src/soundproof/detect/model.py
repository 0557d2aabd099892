"""The shipped classifier: a standardised logistic model over the comb features.

Logistic regression is deliberately simple: a dozen interpretable inputs, a
probability that is calibrated by its own training loss (and checked for
calibration in the evaluation report), and a file of a few hundred bytes that
needs nothing but numpy to run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from soundproof.detect.features import FEATURE_NAMES
from soundproof.errors import ModelError

SHIPPED_MODEL = "detector.json"
FORMAT = "soundproof-comb-logistic/1"


@dataclass(frozen=True)
class AnalysisSettings:
    """How much audio the detector reads and when it abstains."""

    excerpt_s: float = 10.0
    excerpts: int = 6
    min_seconds: float = 5.0
    min_bandwidth_hz: float = 9000.0


@dataclass(frozen=True)
class CombModel:
    """Weights, thresholds and provenance of one trained detector."""

    version: str
    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    human_below: float = 0.25
    ai_above: float = 0.75
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    trained: dict[str, Any] = field(default_factory=dict)

    def probability(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """p(ai) for one feature vector or a (tracks, features) matrix."""
        logit = self._standardised(np.atleast_2d(features)) @ np.asarray(self.coef)
        logit = logit + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logit, -40, 40))), dtype=np.float64)

    def contributions(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each feature's share of one track's logit: its standardised value times its weight."""
        z = self._standardised(np.asarray(features, dtype=np.float64))
        return np.asarray(z * np.asarray(self.coef), dtype=np.float64)

    def _standardised(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """Features on the scale the weights were fitted on."""
        return np.asarray((features - np.asarray(self.mean)) / np.asarray(self.scale))

    def label(self, p_ai: float) -> Literal["ai", "human", "uncertain"]:
        """Verdict for a probability: the band between the thresholds abstains."""
        if p_ai >= self.ai_above:
            return "ai"
        if p_ai <= self.human_below:
            return "human"
        return "uncertain"

    def to_json(self) -> str:
        """Serialised form, stable across releases (FORMAT names the schema)."""
        payload = {"format": FORMAT, **asdict(self)}
        return json.dumps(payload, indent=2, sort_keys=True)

    def save(self, path: Path) -> None:
        """Write the model as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, text: str, origin: str = "<string>") -> CombModel:
        """Parse and validate a model file."""
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelError(f"{origin}: not a detector model (invalid JSON: {exc})") from exc
        if not isinstance(payload, dict) or payload.pop("format", None) != FORMAT:
            raise ModelError(f"{origin}: not a detector model of format {FORMAT}")
        try:
            model = cls(
                version=str(payload["version"]),
                feature_names=tuple(payload["feature_names"]),
                mean=tuple(payload["mean"]),
                scale=tuple(payload["scale"]),
                coef=tuple(payload["coef"]),
                intercept=float(payload["intercept"]),
                human_below=float(payload["human_below"]),
                ai_above=float(payload["ai_above"]),
                analysis=AnalysisSettings(**payload.get("analysis", {})),
                trained=dict(payload.get("trained", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{origin}: malformed detector model ({exc})") from exc
        if model.feature_names != FEATURE_NAMES:
            raise ModelError(
                f"{origin}: model {model.version} was trained on other features than this "
                "version of Soundproof computes; retrain it with `soundproof detect train`"
            )
        sizes = {len(model.mean), len(model.scale), len(model.coef)}
        if sizes != {len(FEATURE_NAMES)}:
            raise ModelError(f"{origin}: weight vectors do not match the feature count")
        return model

    @classmethod
    def load(cls, path: Path | None = None) -> CombModel:
        """Load a model file, or the one shipped inside the package."""
        if path is None:
            ref = resources.files("soundproof.models").joinpath(SHIPPED_MODEL)
            if not ref.is_file():
                raise ModelError("the shipped detector model is missing from the installation")
            return cls.from_json(ref.read_text(encoding="utf-8"), origin=SHIPPED_MODEL)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ModelError(f"{path}: cannot read model ({exc.strerror})") from exc
        return cls.from_json(text, origin=str(path))
