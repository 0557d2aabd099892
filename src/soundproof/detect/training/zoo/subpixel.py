"""Sub-pixel (1-D pixel shuffle) upsampling: conv to ``stride * C`` channels, then interleave.

Each of the ``stride`` output phases has its own filter, so the layer is periodically
time-varying with period ``stride``, the same property that gives transposed convolutions
their comb.
"""

from __future__ import annotations

from torch import Tensor, nn

from .base import ZooAutoencoder
from .frontends import WaveEncoder
from .layers import ResidualUnit, conv, elu
from .spec import DecoderSpec


class PixelShuffle1d(nn.Module):
    """``[B, C * r, L] -> [B, C, L * r]``; channel ``c * r + j`` becomes phase ``j`` of ``c``."""

    def __init__(self, factor: int) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: Tensor) -> Tensor:
        b, cr, length = x.shape
        c = cr // self.factor
        return x.view(b, c, self.factor, length).permute(0, 1, 3, 2).reshape(b, c, -1)


def subpixel_decoder(spec: DecoderSpec) -> nn.Sequential:
    """Latent -> conv7 -> [ELU, conv3 to stride*C, shuffle, residual unit] -> ELU, conv7."""
    ch = spec.stage_channels()
    layers: list[nn.Module] = [conv(spec.latent_dim, ch[0], 7)]
    for stride, c_in, c_out in zip(spec.strides, ch[:-1], ch[1:], strict=True):
        layers += [
            nn.ELU(),
            conv(c_in, stride * c_out, 3),
            PixelShuffle1d(stride),
            ResidualUnit(c_out, elu, kernel=3),
        ]
    layers += [nn.ELU(), conv(ch[-1], 1, 7)]
    return nn.Sequential(*layers)


def build(spec: DecoderSpec) -> ZooAutoencoder:
    """Learned strided-conv encoder + sub-pixel decoder."""
    encoder = WaveEncoder(spec.stride_product, spec.channels, spec.latent_dim)
    return ZooAutoencoder(encoder, subpixel_decoder(spec), spec.stride_product)
