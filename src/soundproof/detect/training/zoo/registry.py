"""``build_decoder``: from a :class:`DecoderSpec` to a freshly initialised autoencoder."""

from __future__ import annotations

from collections.abc import Callable

import torch

from . import dac, griffinlim, hifigan, nnconv, seanet, subpixel, tconv, vocos
from .base import ZooAutoencoder
from .spec import DecoderSpec

BUILDERS: dict[str, Callable[[DecoderSpec], ZooAutoencoder]] = {
    "seanet": seanet.build,
    "dac": dac.build,
    "hifigan": hifigan.build,
    "vocos": vocos.build,
    "nnconv": nnconv.build,
    "subpixel": subpixel.build,
    "tconv": tconv.build,
    "griffinlim": griffinlim.build,
}

TRAINABLE: frozenset[str] = frozenset(BUILDERS) - {"griffinlim"}
"""Families with learned weights (Griffin-Lim has none)."""


def build_decoder(spec: DecoderSpec) -> ZooAutoencoder:
    """Build the autoencoder of ``spec``, initialised from ``spec.seed``.

    The module maps ``[B, 1, T]`` audio at ``spec.out_rate`` to ``[B, 1, T]``. Torch's
    global RNG is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        return BUILDERS[spec.family](spec)
