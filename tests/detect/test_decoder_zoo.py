"""The decoder zoo: every family builds and keeps lengths, training lowers the loss, rendering
is bounded and seamless, caching round-trips, and the upsampling families leave a comb."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from soundproof.detect.training.zoo import (  # noqa: E402
    FAMILIES,
    DecoderSpec,
    build_decoder,
    load_decoder,
    render,
    save_decoder,
    train_decoder,
    zoo_specs,
)
from soundproof.detect.training.zoo.losses import reconstruction_loss  # noqa: E402

from .comb_oracle import comb_contrast  # noqa: E402
from .signals import pink_noise, simple_music  # noqa: E402

pytestmark = pytest.mark.train

SPECS = {s.name: s for s in zoo_specs()}
FIRST_OF_FAMILY = {f: next(s for s in SPECS.values() if s.family == f) for f in FAMILIES}
COMB_FAMILIES = ("seanet", "dac", "hifigan", "tconv", "subpixel")


@pytest.fixture(autouse=True)
def one_thread():
    """Run torch single-threaded: on a shared, loaded machine, intra-op threads that wait
    for each other can make small models many times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def probe(rate: int, seconds: float = 5.0) -> np.ndarray:
    """Broadband test input: pink noise plus a few steady tones below 5 kHz."""
    t = np.arange(int(seconds * rate)) / rate
    tones = sum(0.05 * np.sin(2 * np.pi * f * t) for f in (220.0, 447.0, 1313.0, 3001.0))
    return (0.5 * pink_noise(seconds, rate, seed=3) + tones).astype(np.float32)


def test_zoo_covers_families_rates_and_strides() -> None:
    specs = zoo_specs()
    assert len(specs) >= 18
    assert len(SPECS) == len(specs), "names must be unique"
    for family in FAMILIES:
        assert sum(s.family == family for s in specs) >= 2, family
    assert {s.out_rate for s in specs} == {24000, 32000, 44100, 48000}
    products = {s.stride_product for s in specs}
    assert {64, 128, 240, 256, 300, 320, 384, 480, 512, 600, 640, 960} <= products
    spec = SPECS["seanet-24k-x320"]
    assert spec.stride_product == 320 and spec.latent_rate == 75.0


def test_spec_rejects_bad_values() -> None:
    with pytest.raises(ValueError):
        DecoderSpec("x", "nope", 24000, (2, 2), 16)
    with pytest.raises(ValueError):
        DecoderSpec("x", "tconv", 24000, (1, 2), 16)


@pytest.mark.parametrize("family", FAMILIES)
def test_forward_keeps_length(family: str) -> None:
    spec = FIRST_OF_FAMILY[family]
    model = build_decoder(spec).eval()
    length = 3 * spec.stride_product + 123  # not a whole number of hops
    x = torch.randn(2, 1, length) * 0.1
    with torch.inference_mode():
        y = model(x)
    assert y.shape == (2, 1, length)
    assert torch.isfinite(y).all()


def test_build_is_seeded_and_leaves_global_rng_alone() -> None:
    spec = SPECS["tconv-24k-x64"]
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a, b = build_decoder(spec), build_decoder(spec)
    assert torch.rand(1) == expected
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


@pytest.mark.parametrize("name", ["tconv-24k-x64", "seanet-24k-x320"])
def test_brief_training_reduces_loss(name: str) -> None:
    spec = SPECS[name]
    music = simple_music(4.0, spec.out_rate, seed=1)
    batch = torch.from_numpy(music[: 8 * spec.stride_product * 8].copy()).view(1, 1, -1)
    batch = batch * (0.08 / batch.square().mean().sqrt())

    def loss_of(model: torch.nn.Module) -> float:
        with torch.inference_mode():
            return reconstruction_loss(model(batch), batch, spec.out_rate).item()

    before = loss_of(build_decoder(spec).eval())
    trained = train_decoder(spec, [music], steps=12, seed=0, batch_size=4, segment_s=0.25)
    assert not trained.training
    assert loss_of(trained) < 0.9 * before


def test_griffinlim_is_not_trained() -> None:
    spec = FIRST_OF_FAMILY["griffinlim"]
    model = train_decoder(spec, [np.zeros(100, np.float32)], steps=5, seed=0)
    assert sum(p.numel() for p in model.parameters()) == 0


def test_train_rejects_empty_excerpts() -> None:
    with pytest.raises(ValueError):
        train_decoder(SPECS["tconv-24k-x64"], [np.zeros(0, np.float32)], steps=1, seed=0)


@pytest.mark.parametrize("name", ["seanet-24k-x320", "griffinlim-24k-x256", "vocos-24k-x256"])
def test_render_keeps_length_level_and_is_finite(name: str) -> None:
    spec = SPECS[name]
    x = simple_music(1.3, spec.out_rate, seed=2) * 0.3
    y = render(build_decoder(spec), spec, x, chunk_s=0.4, context_s=0.1)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 0.999 + 1e-6
    rms = lambda a: float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))  # noqa: E731
    assert rms(y) == pytest.approx(rms(x), rel=0.05)


def test_render_chunks_are_seamless() -> None:
    spec = SPECS["seanet-24k-x320"]
    model = build_decoder(spec)
    x = simple_music(2.0, spec.out_rate, seed=4)
    whole = render(model, spec, x, chunk_s=100.0)
    chunked = render(model, spec, x, chunk_s=0.3, context_s=0.2)
    assert np.max(np.abs(whole - chunked)) < 1e-3 * np.max(np.abs(whole))


def test_render_handles_empty_and_silent_input() -> None:
    spec = SPECS["tconv-24k-x64"]
    model = build_decoder(spec)
    assert render(model, spec, np.zeros(0, np.float32)).shape == (0,)
    assert render(model, spec, np.zeros(1000, np.float32)).shape == (1000,)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    spec = SPECS["subpixel-24k-x300"]
    model = build_decoder(spec)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01)
    path = tmp_path / "cache" / f"{spec.name}.pt"
    save_decoder(model, spec, path)
    loaded = load_decoder(spec, path)
    x = torch.randn(1, 1, 2000) * 0.1
    with torch.inference_mode():
        assert torch.allclose(model.eval()(x), loaded(x))
    other = DecoderSpec(spec.name, spec.family, spec.out_rate, spec.strides, spec.channels, seed=1)
    with pytest.raises(ValueError):
        load_decoder(other, path)


def test_comb_metric_is_quiet_on_plain_noise() -> None:
    x = probe(24000)
    for spacing in (75.0, 93.75, 375.0):
        assert abs(comb_contrast(x, 24000, spacing).contrast_db) < 1.5


@pytest.mark.parametrize("family", COMB_FAMILIES)
def test_upsampling_families_leave_a_comb(family: str) -> None:
    """The key check: peaks at multiples of out_rate / stride_product stand out of the
    long-window average spectrum between 5 and 16 kHz (architecture alone, untrained)."""
    spec = FIRST_OF_FAMILY[family]
    y = render(build_decoder(spec), spec, probe(spec.out_rate))
    fine = comb_contrast(y, spec.out_rate, spec.latent_rate)
    assert fine.teeth >= 10
    assert fine.contrast_db > 10.0, fine


@pytest.mark.parametrize("name", ["tconv-24k-x64", "subpixel-24k-x300"])
def test_comb_survives_brief_training(name: str) -> None:
    spec = SPECS[name]
    music = simple_music(6.0, spec.out_rate, seed=5)
    model = train_decoder(spec, [music], steps=30, seed=0, batch_size=4, segment_s=0.25)
    y = render(model, spec, probe(spec.out_rate))
    assert comb_contrast(y, spec.out_rate, spec.latent_rate).contrast_db > 6.0


@pytest.mark.parametrize("family", ["nnconv", "griffinlim"])
def test_resize_and_phase_retrieval_leave_no_positive_comb(family: str) -> None:
    spec = FIRST_OF_FAMILY[family]
    y = render(build_decoder(spec), spec, probe(spec.out_rate))
    assert comb_contrast(y, spec.out_rate, spec.latent_rate).contrast_db < 3.0
