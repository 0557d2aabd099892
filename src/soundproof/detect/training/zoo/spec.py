"""Decoder configurations: what one member of the zoo is, and the list of all members.

A :class:`DecoderSpec` names an architecture family, an output rate and the strides of its
upsampling stages. The product of the strides is the decoder's hop: its latent (or frame)
rate is ``out_rate / stride_product``, and transposed-convolution families leave spectral
peaks at multiples of that rate. The list in :func:`zoo_specs` spreads the hops and rates
over the values real generators use, so a detector trained on the zoo does not learn one
spacing only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FAMILIES: tuple[str, ...] = (
    "seanet",
    "dac",
    "hifigan",
    "vocos",
    "nnconv",
    "subpixel",
    "tconv",
    "griffinlim",
)
"""Every architecture family :func:`~soundproof.detect.training.zoo.build_decoder` knows."""

OUT_RATES: tuple[int, ...] = (24000, 32000, 44100, 48000)
"""Output sample rates used by the zoo (those of published music and speech decoders)."""


@dataclass(frozen=True)
class DecoderSpec:
    """One decoder configuration of the zoo.

    Attributes:
        name: Unique identifier, e.g. ``"seanet-24k-x320"``; used as the cache file stem.
        family: One of :data:`FAMILIES`.
        out_rate: Output (and input) sample rate in Hz.
        strides: Upsampling factor of each decoder stage, latent side first. Frame-based
            families (vocos, griffinlim) only use their product, as the STFT hop.
        channels: Width of the first (widest) decoder stage; each later stage halves it,
            down to ``min_channels``. For vocos it is the ConvNeXt width.
        seed: Seed of the weight initialisation, so that a build is reproducible.
        latent_dim: Channels of the latent produced by the waveform encoder.
        min_channels: Floor of the per-stage width (the full-rate stages cost the most).
        kernel_mult: Transposed-convolution kernel as a multiple of the stride (2 is the
            EnCodec/DAC/HiFi-GAN choice; 1 gives non-overlapping kernels).
        n_mels: Mel bands of the log-mel front end (hifigan, vocos, griffinlim with mel).
        bigvgan: hifigan only: Snake activations with anti-aliasing, as BigVGAN.
        n_blocks: vocos only: number of ConvNeXt blocks.
        gl_iters: griffinlim only: number of Griffin-Lim iterations.
        gl_mel: griffinlim only: reconstruct from a mel spectrogram (pseudo-inverted)
            instead of the full STFT magnitude.
    """

    name: str
    family: str
    out_rate: int
    strides: tuple[int, ...]
    channels: int
    seed: int = 0
    latent_dim: int = 64
    min_channels: int = 16
    kernel_mult: int = 2
    n_mels: int = 80
    bigvgan: bool = False
    n_blocks: int = 4
    gl_iters: int = 32
    gl_mel: bool = False

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown decoder family {self.family!r}; known: {FAMILIES}")
        if not self.strides or any(s < 2 for s in self.strides):
            raise ValueError(f"{self.name}: strides must be a non-empty tuple of ints >= 2")
        if self.out_rate <= 0 or self.channels <= 0:
            raise ValueError(f"{self.name}: out_rate and channels must be positive")

    @property
    def stride_product(self) -> int:
        """Total upsampling factor: output samples per latent frame (the hop)."""
        return math.prod(self.strides)

    @property
    def latent_rate(self) -> float:
        """Latent frame rate in Hz, which is also the spacing of the expected comb."""
        return self.out_rate / self.stride_product

    def stage_channels(self) -> list[int]:
        """Channel count entering each stage, plus the count leaving the last one."""
        return [max(self.channels // 2**i, self.min_channels) for i in range(len(self.strides) + 1)]


def _spec(family: str, rate: int, strides: tuple[int, ...], channels: int, **kw) -> DecoderSpec:
    """Build a spec with the canonical name ``family[-variant]-<rate>k-x<product>``."""
    variant = kw.pop("variant", "")
    khz = f"{rate // 1000}k" if rate % 1000 == 0 else f"{rate // 1000}k{rate % 1000 // 100}"
    name = f"{family}{'-' + variant if variant else ''}-{khz}-x{math.prod(strides)}"
    seed = kw.pop("seed", sum(map(ord, name)) % 10_000)
    return DecoderSpec(name, family, rate, strides, channels, seed=seed, **kw)


def zoo_specs() -> list[DecoderSpec]:
    """All configurations of the zoo: three per family, 24 in all.

    Stride products cover 64 to 960 and the four output rates; the stage factorisations
    follow published decoders where one exists (EnCodec 8-5-4-2, DAC 8-8-4-2, HiFi-GAN
    8-8-2-2, Vocos hop 256 at 24 kHz, BigVGAN hop 512 at 44.1 kHz).
    """
    return [
        _spec("seanet", 24000, (8, 5, 4, 2), 128),
        _spec("seanet", 32000, (8, 5, 4, 4), 128),
        _spec("seanet", 48000, (8, 6, 5, 4), 128),
        _spec("dac", 44100, (8, 8, 4, 2), 128),
        _spec("dac", 24000, (8, 5, 4, 2), 128),
        _spec("dac", 48000, (8, 6, 5, 2), 128),
        _spec("hifigan", 24000, (8, 8, 2, 2), 128),
        _spec("hifigan", 32000, (5, 4, 4, 4), 128),
        _spec("hifigan", 44100, (8, 8, 4, 2), 128, bigvgan=True, variant="bigvgan"),
        _spec("vocos", 24000, (8, 8, 4), 192),
        _spec("vocos", 44100, (8, 8, 8), 192, n_mels=100),
        _spec("vocos", 48000, (8, 6, 5, 2), 192, n_mels=100),
        _spec("nnconv", 24000, (6, 5, 4, 2), 128),
        _spec("nnconv", 32000, (8, 4, 4), 128),
        _spec("nnconv", 48000, (8, 6, 4, 2), 128),
        _spec("subpixel", 24000, (5, 5, 4, 3), 128),
        _spec("subpixel", 44100, (8, 4, 4, 2), 128),
        _spec("subpixel", 48000, (6, 5, 5, 4), 128),
        _spec("tconv", 24000, (4, 4, 4), 128),
        _spec("tconv", 32000, (8, 5, 4, 4), 128),
        _spec("tconv", 48000, (8, 8, 8), 128, kernel_mult=1, variant="k1"),
        _spec("griffinlim", 24000, (8, 8, 4), 1),
        _spec("griffinlim", 44100, (8, 8, 8), 1, gl_mel=True, n_mels=128, variant="mel"),
        _spec("griffinlim", 48000, (8, 6, 5, 2), 1, gl_iters=48),
    ]
