"""Build the detector's training and evaluation table from scratch, into the cache.

Recipe (DEVELOPERS.md data rules):

1. Real excerpts from the allowed Debian packages (:mod:`.corpus`).
2. Every excerpt is paired with decoders from the zoo (:mod:`.zoo`). For each pair
   the real excerpt is resampled to the decoder's output rate and passed through
   the decoder, so the two classes share content *and* rate: bandwidth cannot
   become the cue.
3. Both members of the pair then go through independent draws of the same random
   codec/resampling/loudness chain (:mod:`.chain`), so no codec can become the cue.
4. Each fake also appears "blended": its deviation from the input scaled by 0.15-0.6,
   as a better-trained decoder of the same architecture would leave a fainter comb.
5. A subset of pairs is also put through each named robustness condition.

Every row keeps its provenance (package, track, decoder family, chain) so that the
evaluation can split by package and by decoder family, never by track.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from soundproof.detect.features import FEATURE_NAMES, extract_features
from soundproof.detect.model import AnalysisSettings

Log = Callable[[str], None]

DATASET_VERSION = 6
#: Tag of the rendered-pair cache files; changed whenever their content would differ.
PAIR_CACHE_FORMAT = "f32"
#: Range of the factor by which "blend" rows weaken a decoder's deviation from its input.
BLEND_RANGE = (0.15, 0.6)


@dataclass(frozen=True)
class BuildConfig:
    """Sizes of the build; the defaults are what the shipped model was trained on."""

    #: A row is read as the detector reads a file: ``pieces`` excerpts of ``excerpt_s``.
    excerpt_s: float = AnalysisSettings().excerpt_s
    pieces: int = AnalysisSettings().excerpts
    per_track: int = 2
    max_per_package: int = 70
    decoders_per_excerpt: int = 2
    decoder_steps: int | None = None
    decoder_train_excerpts: int = 24
    robustness_every: int = 4
    #: Share of chain draws that add noise (see :mod:`.chain`).
    noise_probability: float = 0.25
    seed: int = 20261121
    workers: int = 0


@dataclass(frozen=True)
class Row:
    """Provenance of one feature vector."""

    label: int
    package: str
    track: str
    start_s: float
    family: str
    decoder: str
    condition: str
    chain: str
    sample_rate: int
    bandwidth_hz: float


def _stable_seed(*parts: object) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode()) & 0x7FFFFFFF


def _resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    import soxr

    if rate_in == rate_out:
        return audio.astype(np.float32)
    return np.asarray(soxr.resample(audio, rate_in, rate_out, quality="HQ"), dtype=np.float32)


def _features(excerpt: Any, audio: np.ndarray, rate: int) -> tuple[np.ndarray, float]:
    """Features of one version of ``excerpt``, cut back into its pieces as the detector reads."""
    measured = extract_features(excerpt.split(audio), rate)
    return measured.vector, measured.bandwidth_hz


def _rendered_pair(excerpt: Any, spec: Any) -> tuple[np.ndarray, np.ndarray]:
    """The rate-matched real excerpt and its decoded version, cached on disk.

    Rendering is the slow step; keeping the pairs lets features be recomputed
    after a change to the detector without rendering again. They are kept exactly
    (float32, as rendered): a rebuild from the cache must measure the same audio
    as the first build. Pairs once cached as float16 (dataset version 5 and
    earlier) carried a quantisation floor about 74 dB below each sample, enough to
    change the features of nearly every row, and are not reused.
    """
    from soundproof.detect.training import zoo

    seed = _stable_seed(excerpt.path, excerpt.start_s, excerpt.pieces, excerpt.audio.size)
    key = f"{seed:08x}-{spec.name}.{PAIR_CACHE_FORMAT}.npy"
    path = pairs_dir(_WORKER["cache"]) / key
    if path.exists():
        pair = np.load(path)
        return pair[0], pair[1]
    real = _resample(excerpt.audio, excerpt.sample_rate, spec.out_rate)
    fake = np.asarray(zoo.render(_decoder(spec), spec, real), dtype=np.float32)[: real.size]
    fake = np.pad(fake, (0, real.size - fake.size))
    pair = np.stack([real, fake])  # both float32 already
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, pair)
    tmp.replace(path)
    return pair[0], pair[1]


def pairs_dir(cache: Path) -> Path:
    """Where the rendered (real, fake) pairs of a build are kept."""
    return cache / "detector" / "pairs"


def cached_fakes(cache: Path, config: BuildConfig) -> Iterator[tuple[Any, np.ndarray]]:
    """``(decoder spec, decoded audio)`` for every cached pair of a build shaped like ``config``.

    A pair file is named after its decoder; pairs of readings of another length (an
    earlier build with other :class:`AnalysisSettings`) share the folder and are skipped.
    """
    from soundproof.detect.training.zoo.spec import zoo_specs

    specs = {spec.name: spec for spec in zoo_specs()}
    suffix = f".{PAIR_CACHE_FORMAT}.npy"
    for path in sorted(pairs_dir(cache).glob(f"*{suffix}")):
        spec = specs.get(path.name.removesuffix(suffix).split("-", 1)[-1])
        if spec is None:
            continue
        pair = np.load(path, mmap_mode="r")
        expected = config.pieces * config.excerpt_s * spec.out_rate
        if pair.ndim == 2 and abs(pair.shape[1] - expected) <= 0.01 * expected:
            yield spec, np.asarray(pair[1])


# -- decoders ---------------------------------------------------------------------------


def prepare_decoders(excerpts: list[Any], cache: Path, config: BuildConfig, log: Log) -> list[Any]:
    """Train (or load from the cache) every decoder of the zoo; returns their specs.

    Decoders train in parallel processes of one torch thread each: the models are
    small, and on a shared machine two threads per model were measured 2-6x slower.
    """
    from soundproof.detect.training import zoo

    specs = zoo.zoo_specs()
    rng = np.random.default_rng(config.seed)
    todo = []
    for spec in specs:
        # Drawn for every decoder, cached or not, so that an interrupted build resumes
        # with exactly the training excerpts a build from scratch would use.
        chosen = rng.choice(
            len(excerpts), size=min(config.decoder_train_excerpts, len(excerpts)), replace=False
        )
        path = cache / "decoders" / f"{spec.name}.pt"
        if not path.exists():
            todo.append((spec, [excerpts[i] for i in chosen], path, config.decoder_steps))
    workers = config.workers or os.cpu_count() or 1
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(str(cache),)) as pool:
        for name, steps, seconds in pool.map(_train_one, todo):
            log(f"decoder {name}: trained {steps} steps in {seconds:.0f} s")
    return specs


def _train_one(job: tuple[Any, list[Any], Path, int | None]) -> tuple[str, int, float]:
    from soundproof.detect.training import zoo

    spec, chosen, path, steps = job
    audio = [_resample(e.audio, e.sample_rate, spec.out_rate) for e in chosen]
    started = time.perf_counter()
    steps = steps or zoo.DEFAULT_STEPS
    model = zoo.train_decoder(spec, audio, steps=steps, seed=spec.seed)
    zoo.save_decoder(model, spec, path)
    return spec.name, steps, time.perf_counter() - started


# -- per-excerpt work (runs in worker processes) -----------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(cache: str) -> None:
    import torch

    torch.set_num_threads(1)
    _WORKER["cache"] = Path(cache)
    _WORKER["models"] = {}


def _decoder(spec: Any) -> Any:
    from soundproof.detect.training import zoo

    models = _WORKER["models"]
    if spec.name not in models:
        models[spec.name] = zoo.load_decoder(
            spec, _WORKER["cache"] / "decoders" / f"{spec.name}.pt"
        )
    return models[spec.name]


def _rows_for_excerpt(
    job: tuple[Any, list[Any], bool, int, float],
) -> list[tuple[Row, np.ndarray]]:
    """All rows of one excerpt: for each assigned decoder, the rate-matched real/fake pair,
    clean, through the random chain, and (for some pairs) through every robustness condition."""
    from soundproof.detect.training import chain

    excerpt, specs, with_conditions, seed, noise_probability = job
    out: list[tuple[Row, np.ndarray]] = []
    for spec in specs:
        rate = spec.out_rate
        real, fake = _rendered_pair(excerpt, spec)
        for label, audio in ((0, real), (1, fake)):
            rng = np.random.default_rng(
                _stable_seed(seed, excerpt.path, excerpt.start_s, spec.name, label)
            )
            base = dict(
                label=label,
                package=excerpt.package,
                track=str(excerpt.path),
                start_s=float(excerpt.start_s),
                family=spec.family if label else "real",
                decoder=spec.name if label else "real",
            )
            variants = [("clean", "none", audio, rate)]
            chained, chained_rate, desc = chain.random_post_chain(
                audio, rate, rng, noise_probability=noise_probability
            )
            variants.append(("chain", desc, chained, chained_rate))
            if label == 1:
                # A better-trained decoder leaves the same comb, only weaker: scale the
                # decoder's deviation from its input so the fit sees faint combs too.
                alpha = float(rng.uniform(*BLEND_RANGE))
                faint = real + alpha * (fake - real)
                faint, faint_rate, desc = chain.random_post_chain(
                    faint, rate, rng, noise_probability=noise_probability
                )
                variants.append(("blend", f"blend{alpha:.2f},{desc}", faint, faint_rate))
            if with_conditions:
                for name in chain.ROBUSTNESS_CONDITIONS:
                    if name != "clean":
                        varied, varied_rate = chain.apply_condition(audio, rate, name, rng)
                        variants.append((name, name, varied, varied_rate))
            for condition, description, samples, samples_rate in variants:
                vector, bandwidth = _features(excerpt, samples, samples_rate)
                row = Row(
                    **base,
                    condition=condition,
                    chain=description,
                    sample_rate=samples_rate,
                    bandwidth_hz=bandwidth,
                )
                out.append((row, vector))
    return out


def _jobs(excerpts: list[Any], specs: list[Any], config: BuildConfig) -> Iterator[tuple]:
    rng = np.random.default_rng(config.seed + 1)
    # Round-robin over a shuffled zoo so every decoder gets a similar share of excerpts.
    order = list(rng.permutation(len(specs)))
    cursor = 0
    for i, excerpt in enumerate(excerpts):
        chosen = []
        for _ in range(config.decoders_per_excerpt):
            chosen.append(specs[order[cursor % len(order)]])
            cursor += 1
        with_conditions = i % config.robustness_every == 0
        yield excerpt, chosen, with_conditions, config.seed, config.noise_probability


# -- the whole build ---------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """Feature matrix, labels and provenance, as saved in the cache."""

    features: np.ndarray
    rows: list[Row]
    config: BuildConfig | None = None

    @property
    def labels(self) -> np.ndarray:
        return np.array([r.label for r in self.rows], dtype=np.int64)

    def column(self, name: str) -> np.ndarray:
        return np.array([getattr(r, name) for r in self.rows])

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "features.npy", self.features)
        with (directory / "rows.jsonl").open("w", encoding="utf-8") as fh:
            for row in self.rows:
                fh.write(json.dumps(asdict(row)) + "\n")
        meta = {
            "version": DATASET_VERSION,
            "feature_names": list(FEATURE_NAMES),
            "build": asdict(self.config) if self.config else None,
        }
        (directory / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, config: BuildConfig | None = None) -> Dataset | None:
        """The saved table, or None when it is missing, stale, or built with another config."""
        meta_path = directory / "meta.json"
        if not meta_path.exists():
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("version") != DATASET_VERSION or meta.get("feature_names") != list(
            FEATURE_NAMES
        ):
            return None
        if config is not None and meta.get("build") != asdict(config):
            return None
        rows = [
            Row(**json.loads(line))
            for line in (directory / "rows.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        build = meta.get("build")
        return cls(
            np.load(directory / "features.npy"), rows, BuildConfig(**build) if build else None
        )


def build_dataset(cache: Path, config: BuildConfig, log: Log = print) -> Dataset:
    """Rebuild everything the detector learns from: corpus, decoders, renders, features."""
    from soundproof.detect.training import corpus

    started = time.perf_counter()
    tracks = corpus.ensure_corpus(cache, log=log)
    excerpts = corpus.cut_excerpts(
        tracks,
        excerpt_s=config.excerpt_s,
        per_track=config.per_track,
        max_per_package=config.max_per_package,
        seed=config.seed,
        pieces=config.pieces,
    )
    log(
        f"corpus: {len(excerpts)} readings of {config.pieces} x {config.excerpt_s:g} s "
        f"from {len(tracks)} tracks"
    )
    specs = prepare_decoders(excerpts, cache, config, log)
    workers = config.workers or os.cpu_count() or 1
    features: list[np.ndarray] = []
    rows: list[Row] = []
    jobs = list(_jobs(excerpts, specs, config))
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(str(cache),)) as pool:
        for done, result in enumerate(pool.map(_rows_for_excerpt, jobs, chunksize=2), 1):
            for row, vector in result:
                rows.append(row)
                features.append(vector)
            if done % 20 == 0 or done == len(jobs):
                log(
                    f"rendered {done}/{len(jobs)} excerpts, {len(rows)} rows, "
                    f"{time.perf_counter() - started:.0f} s"
                )
    dataset = Dataset(np.vstack(features), rows, config)
    dataset.save(cache / "detector" / "dataset")
    return dataset
