"""HiFi-GAN/BigVGAN-like vocoder: log-mel in, transposed convs with multi-receptive-field blocks.

The multi-receptive-field fusion (MRF) block sums residual stacks of different kernel
sizes. The ``bigvgan`` flag swaps LeakyReLU for anti-aliased Snake activations.
"""

from __future__ import annotations

from torch import Tensor, nn

from .base import ZooAutoencoder
from .frontends import LogMel
from .layers import ActFactory, AntiAliasedSnake, conv, leaky, tconv
from .spec import DecoderSpec

MRF_KERNELS: tuple[int, ...] = (3, 5)
BIGVGAN_KERNELS: tuple[int, ...] = (5,)
"""The BigVGAN variant runs every activation at twice the rate between fixed filters, so
it keeps one residual stack per stage to cost about the same as the plain one on CPU."""
MRF_DILATIONS: tuple[int, ...] = (1, 3)


class ResStack(nn.Module):
    """HiFi-GAN "ResBlock2" (the V3 generator's, the lighter of the two): per dilation,
    ``x + conv_k,d(act(x))``."""

    def __init__(self, channels: int, kernel: int, act: ActFactory) -> None:
        super().__init__()
        self.units = nn.ModuleList(
            nn.Sequential(act(channels), conv(channels, channels, kernel, d)) for d in MRF_DILATIONS
        )

    def forward(self, x: Tensor) -> Tensor:
        for unit in self.units:
            x = x + unit(x)
        return x


class MRF(nn.Module):
    """Multi-receptive-field fusion: the mean of :class:`ResStack` outputs over kernels."""

    def __init__(self, channels: int, act: ActFactory, kernels: tuple[int, ...]) -> None:
        super().__init__()
        self.stacks = nn.ModuleList(ResStack(channels, k, act) for k in kernels)

    def forward(self, x: Tensor) -> Tensor:
        out = self.stacks[0](x)
        for stack in self.stacks[1:]:
            out = out + stack(x)
        return out / len(self.stacks)


def hifigan_decoder(spec: DecoderSpec) -> nn.Sequential:
    """Log-mel -> standardise -> conv7 -> [act, transposed conv, MRF] per stage -> act, conv7, tanh.

    The log-mel bands are standardised with statistics accumulated over training (a
    BatchNorm without affine part or momentum, i.e. a dataset mean/std normalisation, as
    many TTS pipelines apply to mels). Raw log-mels are dominated by their per-band offsets;
    without this, a few hundred steps leave the generator mostly ignoring their variation
    over time (measured: worse spectral distance and a stronger frame-rate comb).
    """
    act: ActFactory = AntiAliasedSnake if spec.bigvgan else leaky
    kernels = BIGVGAN_KERNELS if spec.bigvgan else MRF_KERNELS
    ch = spec.stage_channels()
    layers: list[nn.Module] = [
        nn.BatchNorm1d(spec.n_mels, affine=False, momentum=None),
        conv(spec.n_mels, ch[0], 7),
    ]
    for stride, c_in, c_out in zip(spec.strides, ch[:-1], ch[1:], strict=True):
        layers += [act(c_in), tconv(c_in, c_out, stride, spec.kernel_mult * stride)]
        layers.append(MRF(c_out, act, kernels))
    layers += [act(ch[-1]), conv(ch[-1], 1, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def build(spec: DecoderSpec) -> ZooAutoencoder:
    """Fixed log-mel encoder (hop = stride product) + HiFi-GAN/BigVGAN generator."""
    encoder = LogMel(spec.out_rate, spec.stride_product, spec.n_mels)
    return ZooAutoencoder(encoder, hifigan_decoder(spec), spec.stride_product)
