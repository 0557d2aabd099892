"""A plain transposed-convolution stack: ``ConvTranspose1d`` + ReLU per stage, no residuals.

The simplest decoder that shows the artifact: ReLU outputs have a positive mean, and a
transposed convolution turns a constant input into a signal periodic in its stride.
"""

from __future__ import annotations

from torch import nn

from .base import ZooAutoencoder
from .frontends import WaveEncoder
from .layers import conv, tconv
from .spec import DecoderSpec


def tconv_decoder(spec: DecoderSpec) -> nn.Sequential:
    """Latent -> conv7 -> [transposed conv, ReLU] per stage -> conv7 to one channel."""
    ch = spec.stage_channels()
    layers: list[nn.Module] = [conv(spec.latent_dim, ch[0], 7)]
    for stride, c_in, c_out in zip(spec.strides, ch[:-1], ch[1:], strict=True):
        layers += [tconv(c_in, c_out, stride, spec.kernel_mult * stride), nn.ReLU()]
    layers.append(conv(ch[-1], 1, 7))
    return nn.Sequential(*layers)


def build(spec: DecoderSpec) -> ZooAutoencoder:
    """Learned strided-conv encoder + plain transposed-convolution decoder."""
    encoder = WaveEncoder(spec.stride_product, spec.channels, spec.latent_dim)
    return ZooAutoencoder(encoder, tconv_decoder(spec), spec.stride_product)
