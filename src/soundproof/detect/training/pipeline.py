"""`soundproof detect train` and `soundproof detect eval`, as functions.

Both work from the cache (``$SOUNDPROOF_HOME/cache``): train rebuilds the corpus,
the decoder zoo, the rendered fakes and the feature table from scratch, then fits
the model; eval reuses the table (building it if missing) and writes the report.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from soundproof.detect.model import CombModel
from soundproof.detect.training.dataset import BuildConfig, Dataset, build_dataset, cached_fakes
from soundproof.detect.training.evaluate import build_report, write_report
from soundproof.detect.training.fit import (
    NO_UPSAMPLER_FAMILIES,
    TARGET_FALSE_POSITIVE_RATE,
    TARGET_MISS_RATE,
    choose_thresholds,
    decided_mask,
    final_model,
    fit_model,
    heldout_probabilities,
    scored_rows,
    training_mask,
)
from soundproof.detect.training.stats import wilson
from soundproof.errors import TrainingError

Log = Callable[[str], None]


def dataset_dir(cache: Path) -> Path:
    """Where the feature table lives."""
    return cache / "detector" / "dataset"


def _require_training_extra() -> None:
    missing = []
    for module in ("torch", "soxr", "sklearn"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise TrainingError(
            f"training needs the [train] extra ({', '.join(missing)} missing): "
            "pip install 'soundproof[train]'"
        )


def load_or_build(cache: Path, config: BuildConfig, *, rebuild: bool, log: Log) -> Dataset:
    """The cached feature table, or a fresh one."""
    if not rebuild:
        existing = Dataset.load(dataset_dir(cache), config)
        if existing is not None:
            log(f"using cached feature table ({len(existing.rows)} rows) in {dataset_dir(cache)}")
            return existing
    return build_dataset(cache, config, log=log)


def train(
    cache: Path,
    output: Path,
    *,
    version: str,
    config: BuildConfig | None = None,
    from_scratch: bool = True,
    log: Log = print,
) -> CombModel:
    """Rebuild the data (from scratch unless told otherwise) and fit the model to ``output``."""
    _require_training_extra()
    config = config or BuildConfig()
    if from_scratch:
        for stale in (cache / "detector", cache / "decoders"):
            if stale.exists():
                log(f"removing {stale}")
                shutil.rmtree(stale)
    data = load_or_build(cache, config, rebuild=from_scratch, log=log)
    mask = training_mask(data)
    summary: dict[str, object] = {
        "build": asdict(config),
        "rows_by_family": dict(Counter(data.column("family")[mask].tolist())),
        "rows_by_package": dict(Counter(data.column("package")[mask].tolist())),
        "decoders": sorted(set(data.column("decoder").tolist()) - {"real"}),
    }
    thresholds = choose_thresholds(data, heldout_probabilities(data, log=log))
    log(
        f"verdict thresholds from held-out scores: human below {thresholds[0]}, "
        f"ai above {thresholds[1]}"
    )
    summary["threshold_targets"] = {
        "false_positive_rate": TARGET_FALSE_POSITIVE_RATE,
        "miss_rate": TARGET_MISS_RATE,
    }
    model = final_model(data, version, summary, thresholds)
    model.save(output)
    log(f"model {version} written to {output}")
    return model


def whole_track_check(cache: Path, data: Dataset, model: CombModel, log: Log) -> dict[str, object]:
    """Verdicts on every whole real track, as `soundproof scan` gives them.

    The feature table is built from readings shaped like the detector's (the model's
    ``analysis`` pieces) but cut by the training code at its own positions. This scores every
    corpus track end to end, through the real decoder and excerpt reader, with a
    model fitted without the track's package, so the false-positive rate is also
    measured exactly as a scan would give it.
    """
    from dataclasses import replace

    from soundproof.detect.detector import Detector
    from soundproof.detect.training import corpus

    tracks = corpus.ensure_corpus(cache, log=log)
    packages = data.column("package")
    mask = training_mask(data)
    verdicts: Counter[str] = Counter()
    flagged_by_package: dict[str, list[int]] = {}
    flagged_examples: list[dict[str, object]] = []
    for package in sorted({t.package for t in tracks}):
        keep = mask & (packages != package)
        heldout = fit_model(data.features[keep], data.labels[keep], version=model.version)
        detector = Detector(
            replace(
                heldout,
                human_below=model.human_below,
                ai_above=model.ai_above,
                analysis=model.analysis,
            )
        )
        counts = flagged_by_package.setdefault(package, [0, 0])
        for track in (t for t in tracks if t.package == package):
            result = detector.analyze_path(track.path)
            verdicts[result.verdict] += 1
            counts[1] += 1
            if result.verdict == "ai":
                counts[0] += 1
                flagged_examples.append(
                    {
                        "path": str(track.path),
                        "p_ai": result.p_ai,
                        "summary": result.explanation.summary if result.explanation else None,
                    }
                )
    total = sum(verdicts.values())
    log(f"whole tracks: {dict(verdicts)}")
    return {
        "tracks": total,
        "verdicts": dict(verdicts),
        "false_positive_rate": wilson(verdicts["ai"], total).as_dict(),
        "uncertain_rate": wilson(verdicts["uncertain"], total).as_dict(),
        "false_positive_rate_by_package": {
            k: wilson(v[0], v[1]).as_dict() for k, v in flagged_by_package.items()
        },
        "flagged": flagged_examples,
    }


#: A named spacing "is the decoder's comb" when it lies within this share of a whole
#: multiple of the decoder's line spacing (coarser combs of partial stride products count).
COMB_MATCH_TOLERANCE = 0.01


def names_decoder_comb(spacing_hz: float, line_spacing_hz: float) -> bool:
    """Whether ``spacing_hz`` is a whole multiple of a decoder's line spacing."""
    multiple = spacing_hz / line_spacing_hz
    whole = round(multiple)
    return whole >= 1 and abs(multiple - whole) <= COMB_MATCH_TOLERANCE * whole


def explanation_check(
    cache: Path, data: Dataset, model: CombModel, config: BuildConfig, log: Log
) -> dict[str, object]:
    """How often an `ai` verdict on an unseen decoder family names that decoder's own comb.

    Every cached clean render of a learned upsampler is read as the detector reads a file
    and scored by a model fitted without its decoder family (with the shipped thresholds).
    For each one called `ai`, the explanation's spacing is checked against the decoder's
    line spacing, out_rate / stride product. The rule the detector uses (the band that
    pushed p_ai up most) is reported beside the plain largest-t rule, for comparison.
    """
    from dataclasses import replace

    from soundproof.detect.features import extract_features

    families = data.column("family")
    mask = training_mask(data)
    models: dict[str, CombModel] = {}
    called = named = named_by_t = 0
    for spec, fake in cached_fakes(cache, config):
        if spec.family in NO_UPSAMPLER_FAMILIES:
            continue
        if spec.family not in models:
            keep = mask & (families != spec.family)
            fitted = fit_model(data.features[keep], data.labels[keep], version=model.version)
            models[spec.family] = replace(
                fitted, human_below=model.human_below, ai_above=model.ai_above
            )
        heldout = models[spec.family]
        measured = extract_features(np.array_split(fake, config.pieces), spec.out_rate)
        vector = measured.vector
        if heldout.label(float(heldout.probability(vector)[0])) != "ai":
            continue
        called += 1
        decisive = measured.decisive(heldout.contributions(vector))
        named += names_decoder_comb(decisive.spacing_hz, spec.latent_rate)
        named_by_t += names_decoder_comb(measured.strongest().spacing_hz, spec.latent_rate)
    log(f"explanations: {named} of {called} name the decoder's comb")
    return {
        "called_ai": called,
        "names_decoder_comb": wilson(named, called).as_dict(),
        "largest_t_rule": wilson(named_by_t, called).as_dict(),
        "tolerance": COMB_MATCH_TOLERANCE,
    }


def evaluate(
    cache: Path,
    model: CombModel,
    out_dir: Path,
    *,
    config: BuildConfig | None = None,
    log: Log = print,
) -> dict[str, object]:
    """Held-out evaluation of the model's recipe and thresholds; writes Markdown and JSON."""
    _require_training_extra()
    data = load_or_build(cache, config or BuildConfig(), rebuild=False, log=log)
    if len(set(data.column("package").tolist())) < 2:
        raise TrainingError("evaluation needs at least two packages to hold one out")
    p = heldout_probabilities(data, log=log)
    report = build_report(*scored_rows(data, p), model)
    decided = decided_mask(data)
    conditions = data.column("condition")
    report["whole_tracks"] = whole_track_check(cache, data, model, log)
    report["explanations"] = explanation_check(cache, data, model, config or BuildConfig(), log)
    report["bandwidth_abstention"] = {
        c: wilson(int(np.sum(~decided & (conditions == c))), int(np.sum(conditions == c))).as_dict()
        for c in sorted(set(conditions.tolist()))
    }
    json_path, md_path = write_report(report, out_dir)
    log(f"report written to {md_path} and {json_path}")
    return report
