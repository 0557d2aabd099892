"""DAC-like decoder: Snake activations, transposed convs, dilated (1, 3, 9) residual units."""

from __future__ import annotations

from torch import nn

from .base import ZooAutoencoder
from .frontends import WaveEncoder
from .layers import ResidualUnit, Snake, conv, tconv
from .spec import DecoderSpec

DILATIONS: tuple[int, ...] = (1, 3, 9)
RES_KERNEL = 7


def dac_decoder(spec: DecoderSpec) -> nn.Sequential:
    """Latent -> conv7 -> [Snake, transposed conv, 3 dilated Snake residual units] -> tanh."""
    ch = spec.stage_channels()
    layers: list[nn.Module] = [conv(spec.latent_dim, ch[0], 7)]
    for stride, c_in, c_out in zip(spec.strides, ch[:-1], ch[1:], strict=True):
        layers += [Snake(c_in), tconv(c_in, c_out, stride, spec.kernel_mult * stride)]
        layers += [ResidualUnit(c_out, Snake, kernel=RES_KERNEL, dilation=d) for d in DILATIONS]
    layers += [Snake(ch[-1]), conv(ch[-1], 1, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def build(spec: DecoderSpec) -> ZooAutoencoder:
    """Learned strided-conv encoder + DAC decoder."""
    encoder = WaveEncoder(spec.stride_product, spec.channels, spec.latent_dim)
    return ZooAutoencoder(encoder, dac_decoder(spec), spec.stride_product)
