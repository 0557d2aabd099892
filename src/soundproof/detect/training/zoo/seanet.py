"""SEANet/EnCodec-like decoder: ELU, ``ConvTranspose1d`` (kernel 2x stride), residual unit."""

from __future__ import annotations

from torch import nn

from .base import ZooAutoencoder
from .frontends import WaveEncoder
from .layers import ResidualUnit, conv, elu, tconv
from .spec import DecoderSpec


def seanet_decoder(spec: DecoderSpec) -> nn.Sequential:
    """Latent -> conv7 -> [ELU, transposed conv, residual unit] per stage -> ELU, conv7."""
    ch = spec.stage_channels()
    layers: list[nn.Module] = [conv(spec.latent_dim, ch[0], 7)]
    for stride, c_in, c_out in zip(spec.strides, ch[:-1], ch[1:], strict=True):
        layers += [
            nn.ELU(),
            tconv(c_in, c_out, stride, spec.kernel_mult * stride),
            ResidualUnit(c_out, elu, kernel=3, dilation=1),
        ]
    layers += [nn.ELU(), conv(ch[-1], 1, 7)]
    return nn.Sequential(*layers)


def build(spec: DecoderSpec) -> ZooAutoencoder:
    """Learned strided-conv encoder + SEANet decoder."""
    encoder = WaveEncoder(spec.stride_product, spec.channels, spec.latent_dim)
    return ZooAutoencoder(encoder, seanet_decoder(spec), spec.stride_product)
