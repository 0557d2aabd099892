"""The training table's rows are reproducible: features measured from a freshly rendered
pair and from the same pair read back from the cache are the same, bit for bit, so a
rebuild with ``--reuse`` sees exactly the audio the first build saw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from soundproof.detect.training import dataset  # noqa: E402
from soundproof.detect.training.corpus import Excerpt  # noqa: E402
from soundproof.detect.training.zoo import build_decoder, save_decoder, zoo_specs  # noqa: E402

from .signals import simple_music  # noqa: E402

pytestmark = pytest.mark.train


@pytest.fixture
def worker_cache(tmp_path: Path):
    """A cache holding one untrained decoder, with the worker state set up as in a build."""
    spec = next(s for s in zoo_specs() if s.name == "tconv-24k-x64")
    before = torch.get_num_threads()
    save_decoder(build_decoder(spec), spec, tmp_path / "decoders" / f"{spec.name}.pt")
    dataset._init_worker(str(tmp_path))
    yield tmp_path, spec
    dataset._WORKER.clear()
    torch.set_num_threads(before)


def test_rows_from_cached_pairs_equal_rows_from_a_fresh_render(worker_cache) -> None:
    cache, spec = worker_cache
    rate = 44_100
    audio = simple_music(6.0, rate, seed=5).astype(np.float32)
    # Quiet content far above the tones: a float16 cache would have buried it.
    audio += 1e-4 * np.random.default_rng(0).standard_normal(audio.size).astype(np.float32)
    excerpt = Excerpt("pkg", Path("/corpus/pkg/track.ogg"), 12.0, audio, rate, pieces=3)
    job = (excerpt, [spec], False, 7, 0.25)

    fresh = dataset._rows_for_excerpt(job)
    cached = list((cache / "detector" / "pairs").glob(f"*{spec.name}*.npy"))
    assert len(cached) == 1 and dataset.PAIR_CACHE_FORMAT in cached[0].name
    again = dataset._rows_for_excerpt(job)

    assert [row for row, _ in fresh] == [row for row, _ in again]
    for (_, a), (_, b) in zip(fresh, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.load(cached[0]).dtype == np.float32
