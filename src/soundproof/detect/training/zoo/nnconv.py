"""Nearest-neighbour upsampling followed by a convolution, per stage (resize-convolution).

Nearest-neighbour repetition is a zero-insertion followed by a length-``stride`` box filter,
whose response is zero exactly at the images of DC; this is why the family is expected to
leave a much weaker comb than the transposed-convolution families.
"""

from __future__ import annotations

from torch import nn

from .base import ZooAutoencoder
from .frontends import WaveEncoder
from .layers import ResidualUnit, conv, leaky
from .spec import DecoderSpec


def nnconv_decoder(spec: DecoderSpec) -> nn.Sequential:
    """Latent -> conv7 -> [act, nearest x stride, conv, residual unit] per stage -> tanh.

    The convolution after the repetition spans about one held block
    (odd kernel ``2 * (stride // 2) + 1``)."""
    ch = spec.stage_channels()
    layers: list[nn.Module] = [conv(spec.latent_dim, ch[0], 7)]
    for stride, c_in, c_out in zip(spec.strides, ch[:-1], ch[1:], strict=True):
        layers += [
            nn.LeakyReLU(0.1),
            nn.Upsample(scale_factor=stride, mode="nearest"),
            conv(c_in, c_out, 2 * (stride // 2) + 1),
            ResidualUnit(c_out, leaky, kernel=3),
        ]
    layers += [nn.LeakyReLU(0.1), conv(ch[-1], 1, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def build(spec: DecoderSpec) -> ZooAutoencoder:
    """Learned strided-conv encoder + resize-convolution decoder."""
    encoder = WaveEncoder(spec.stride_product, spec.channels, spec.latent_dim)
    return ZooAutoencoder(encoder, nnconv_decoder(spec), spec.stride_product)
