"""The decoder zoo: neural audio decoders written and briefly trained here, to turn real
music into "AI-generated" training audio that carries real upsampling artifacts.

Each member is an autoencoder: a light encoder takes audio to a latent at
``out_rate / stride_product`` and the family's decoder takes it back. Families
(:data:`FAMILIES`): ``seanet``, ``dac``, ``hifigan`` (with a BigVGAN variant), ``tconv``
and ``subpixel`` upsample with strided, periodically time-varying layers and leave a comb
of peaks at multiples of ``out_rate / stride_product``; ``nnconv``, ``vocos`` and
``griffinlim`` are the contrast cases.

Typical use::

    for spec in zoo_specs():
        model = train_decoder(spec, excerpts, steps=DEFAULT_STEPS, seed=spec.seed)
        save_decoder(model, spec, cache / f"{spec.name}.pt")
        fake = render(model, spec, track)
"""

from __future__ import annotations

from .cache import load_decoder, save_decoder
from .comb import CombMeasure, average_spectrum_db, comb_contrast
from .registry import TRAINABLE, build_decoder
from .render import render
from .spec import FAMILIES, OUT_RATES, DecoderSpec, zoo_specs
from .train import DEFAULT_STEPS, train_decoder

__all__ = [
    "DEFAULT_STEPS",
    "FAMILIES",
    "OUT_RATES",
    "TRAINABLE",
    "CombMeasure",
    "DecoderSpec",
    "average_spectrum_db",
    "build_decoder",
    "comb_contrast",
    "load_decoder",
    "render",
    "save_decoder",
    "train_decoder",
    "zoo_specs",
]
