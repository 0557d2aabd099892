"""The evaluation report: figures per family group, per package and per condition."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("sklearn")

from soundproof.detect.features import FEATURE_NAMES
from soundproof.detect.model import AnalysisSettings, CombModel
from soundproof.detect.training.dataset import Dataset, Row
from soundproof.detect.training.evaluate import build_report, render_markdown


def _row(label: int, family: str, condition: str, package: str = "supertux-data") -> Row:
    return Row(
        label=label,
        package=package,
        track="t.ogg",
        start_s=1.0,
        family=family,
        decoder=f"{family}-24k-x256" if label else "real",
        condition=condition,
        chain="none",
        sample_rate=24000,
        bandwidth_hz=12000.0,
    )


def _model() -> CombModel:
    n = len(FEATURE_NAMES)
    return CombModel(
        version="test",
        feature_names=FEATURE_NAMES,
        mean=(0.0,) * n,
        scale=(1.0,) * n,
        coef=(0.0,) * n,
        intercept=0.0,
        human_below=0.3,
        ai_above=0.8,
    )


def test_report_separates_family_groups_and_conditions() -> None:
    # chain rows: 4 real (one scored high), one fake per family; griffinlim is missed,
    # vocos is missed, every upsampling family is caught.
    rows = [_row(0, "real", "chain") for _ in range(4)]
    p = [0.1, 0.2, 0.9, 0.1]
    scored = {"tconv": 0.95, "seanet": 0.85, "vocos": 0.2, "griffinlim": 0.1}
    for family, score in scored.items():
        rows.append(_row(1, family, "chain"))
        p.append(score)
    rows += [_row(1, "tconv", "noise_20db"), _row(0, "real", "noise_20db")]
    p += [0.3, 0.1]
    data = Dataset(np.zeros((len(rows), len(FEATURE_NAMES))), rows)
    report = build_report(data, np.array(p), _model())

    assert report["overall"]["recall"]["value"] == pytest.approx(2 / 4)
    assert report["overall_learned_families"]["recall"]["value"] == pytest.approx(2 / 3)
    assert report["overall_comb_families"]["recall"]["value"] == pytest.approx(1.0)
    for key in ("overall", "overall_learned_families", "overall_comb_families"):
        assert report[key]["false_positive_rate"]["value"] == pytest.approx(1 / 4)
    # verdict-level: 0.9 >= ai_above on one real excerpt; fakes at 0.95 and 0.85 are `ai`
    assert report["overall_comb_families"]["verdict_recall"]["value"] == pytest.approx(1.0)
    assert report["recall_by_family"]["vocos"]["value"] == 0.0
    noise = report["robustness"]["noise_20db"]
    assert noise["recall"]["value"] == 0.0 and noise["recall"]["n"] == 1
    assert noise["recall_learned_families"]["n"] == 1
    assert "chain" not in report["robustness"]

    markdown = render_markdown(report)
    assert "| figure | all families | learned families | upsampling families |" in markdown
    assert "| noise_20db |" in markdown


def test_report_describes_the_reading_of_the_model_it_evaluates() -> None:
    rows = [_row(0, "real", "chain"), _row(1, "tconv", "chain")]
    data = Dataset(np.zeros((2, len(FEATURE_NAMES))), rows)
    model = replace(_model(), analysis=AnalysisSettings(excerpt_s=8.0, excerpts=4))

    report = build_report(data, np.array([0.1, 0.9]), model)

    assert report["reading"] == {"pieces": 4, "piece_s": 8.0}
    assert "(four 8 s pieces spread over it" in render_markdown(report)


def test_report_breaks_headline_rows_down_by_chain_step() -> None:
    chains = {
        # (label, family, chain): p_ai
        (0, "real", "gain+2.0dB,mp3@128k"): 0.1,
        (0, "real", "resample32000,gain+13.0dB,vorbis@fixedq"): 0.9,
        (1, "tconv", "gain+2.0dB,mp3@128k"): 0.95,
        (1, "seanet", "resample32000,gain+13.0dB,white20dB,vorbis@fixedq"): 0.3,
        (1, "subpixel", "gain-4.0dB,lossless"): 0.6,
        # not an upsampling family, so not in the breakdown's recall
        (1, "vocos", "gain+2.0dB,mp3@128k"): 0.1,
    }
    rows = [replace(_row(label, family, "chain"), chain=c) for label, family, c in chains]
    rows.append(replace(_row(1, "tconv", "clean"), chain="none"))  # not a headline row
    p = np.array([*chains.values(), 0.0])
    data = Dataset(np.zeros((len(rows), len(FEATURE_NAMES))), rows)

    steps = build_report(data, p, _model())["chain_steps"]

    assert list(steps) == ["codec", "added noise", "resampled to", "loudness gain"]
    assert list(steps["codec"]) == ["lossless", "mp3", "vorbis"]
    assert steps["codec"]["vorbis"]["recall"]["value"] == 0.0
    assert steps["codec"]["vorbis"]["false_positive_rate"]["value"] == 1.0
    assert steps["codec"]["mp3"]["recall"]["n"] == 1  # vocos is left out
    # subpixel at 0.6 counts at p >= 0.5 but is not called `ai` (ai_above = 0.8)
    assert steps["codec"]["lossless"]["recall"]["value"] == 1.0
    assert steps["codec"]["lossless"]["verdict_recall"]["value"] == 0.0
    assert steps["added noise"]["white"]["recall"]["n"] == 1
    assert steps["resampled to"]["32000"]["verdict_false_positive_rate"]["value"] == 1.0
    assert list(steps["loudness gain"]) == ["below 0 dB", "0 to 6 dB", "12 dB and up"]
    assert steps["loudness gain"]["0 to 6 dB"]["recall"]["value"] == 1.0

    markdown = render_markdown(build_report(data, p, _model()))
    assert "## Which chain steps hide the comb" in markdown
    assert "| codec | vorbis | 0.0%" in markdown
