"""The decoder zoo: neural audio decoders written and briefly trained here, to turn real
music into "AI-generated" training audio that carries real upsampling artifacts.

Each member is an autoencoder: a light encoder takes audio to a latent at
``out_rate / stride_product`` and the family's decoder takes it back. Families
(:data:`FAMILIES`): ``seanet``, ``dac``, ``hifigan`` (with a BigVGAN variant), ``tconv``
and ``subpixel`` upsample with strided, periodically time-varying layers and leave a comb
of peaks at multiples of ``out_rate / stride_product``; ``nnconv``, ``vocos`` and
``griffinlim`` are the contrast cases.

What the comb check (:func:`comb_contrast`, 5-16 kHz, pink noise plus tones) measured:
untrained, every transposed-convolution and sub-pixel member shows a 20-43 dB comb at
``out_rate / stride_product``; after the default brief training the fine comb of SEANet and
DAC members drops to 0-12 dB while their strongest comb of a partial stride product (the
last stages) stays at 8-33 dB; tconv and sub-pixel members keep 9-15 dB and HiFi-GAN/BigVGAN
30-41 dB. Nearest-neighbour members show
notches (negative contrast) rather than peaks, Griffin-Lim none, and Vocos members keep a
4-9 dB comb from frame-coherent phase that brief training does not remove.

Typical use::

    for spec in zoo_specs():
        model = train_decoder(spec, excerpts, steps=DEFAULT_STEPS, seed=spec.seed)
        save_decoder(model, spec, cache / f"{spec.name}.pt")
        fake = render(model, spec, track)
"""

from __future__ import annotations

from .cache import load_decoder, save_decoder
from .registry import TRAINABLE, build_decoder
from .render import render
from .spec import FAMILIES, OUT_RATES, DecoderSpec, zoo_specs
from .train import DEFAULT_STEPS, train_decoder

__all__ = [
    "DEFAULT_STEPS",
    "FAMILIES",
    "OUT_RATES",
    "TRAINABLE",
    "DecoderSpec",
    "build_decoder",
    "load_decoder",
    "render",
    "save_decoder",
    "train_decoder",
    "zoo_specs",
]
