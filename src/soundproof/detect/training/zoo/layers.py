"""Building blocks shared by the decoder families: activations, convolutions, residual units.

Everything here is written from the published descriptions (SEANet/EnCodec, DAC, HiFi-GAN,
BigVGAN); the point is to reproduce the *structure* of those decoders, since the spectral
artifacts a detector looks for come from the structure, not from the trained weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn

ActFactory = Callable[[int], nn.Module]
"""Makes an activation module for a given channel count (Snake is per-channel)."""


class _SnakeFunction(torch.autograd.Function):
    """``x + sin^2(a x) / a`` with a hand-written backward.

    Autograd's version of this expression makes about twice as many full-size temporaries
    (and full-size divisions); Snake runs at every sample of every stage, so on CPU it was
    the largest cost of the DAC family. Gradients: ``dy/dx = 1 + sin(2 a x)`` and
    ``dy/da = x sin(2 a x) / a - sin^2(a x) / a^2``.
    """

    @staticmethod
    def forward(ctx, x: Tensor, alpha: Tensor) -> Tensor:
        inv_a = 1.0 / (alpha + 1e-9)
        s = torch.sin(alpha * x)
        ctx.save_for_backward(x, s, alpha, inv_a)
        return torch.addcmul(x, s, s * inv_a)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, Tensor]:
        x, s, alpha, inv_a = ctx.saved_tensors
        g_sin = grad * torch.sin((2 * alpha) * x)
        grad_x = grad + g_sin
        term_x = (g_sin * x).sum(dim=(0, 2), keepdim=True)
        term_s = (grad * s * s).sum(dim=(0, 2), keepdim=True)
        return grad_x, inv_a * term_x - inv_a * inv_a * term_s


class Snake(nn.Module):
    """Snake activation ``x + sin^2(a x) / a`` with a learnable per-channel ``a`` (DAC, BigVGAN).

    The periodic term gives the network an inductive bias towards periodic signals; its
    non-negative part also gives every stage's input a non-zero mean, which a transposed
    convolution turns into tones at multiples of its input rate.
    """

    def __init__(self, channels: int, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.full((1, channels, 1), float(alpha)))

    def forward(self, x: Tensor) -> Tensor:
        return _SnakeFunction.apply(x, self.alpha)


def _lowpass_kernel(taps: int = 12, cutoff: float = 0.25, beta: float = 4.66) -> Tensor:
    """Kaiser-windowed sinc low-pass; ``cutoff`` is in cycles per sample (0.5 = Nyquist)."""
    n = torch.arange(taps, dtype=torch.float64) - (taps - 1) / 2
    h = (
        2
        * cutoff
        * torch.sinc(2 * cutoff * n)
        * torch.kaiser_window(taps, periodic=False, beta=beta, dtype=torch.float64)
    )
    return (h / h.sum()).float()


class AntiAliasedSnake(nn.Module):
    """BigVGAN's anti-aliased activation: upsample 2x, Snake, low-pass, downsample 2x.

    Running the non-linearity at twice the rate keeps the harmonics it creates from folding
    back below Nyquist. The filters are fixed (not learned).
    """

    kernel: Tensor

    def __init__(self, channels: int, taps: int = 12) -> None:
        super().__init__()
        self.snake = Snake(channels)
        self.channels = channels
        self.taps = taps
        self.register_buffer("kernel", _lowpass_kernel(taps).view(1, 1, -1).repeat(channels, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        c, k = self.channels, self.taps
        length = x.shape[-1]
        up = F.conv_transpose1d(x, 2 * self.kernel, stride=2, groups=c)
        # conv_transpose1d gives 2L + k - 2 samples; keep the 2L aligned with the input.
        start = (k - 2) // 2
        up = self.snake(up[..., start : start + 2 * length])
        # Zero padding of k/2 - 1 each side and stride 2 give exactly L samples back.
        return F.conv1d(up, self.kernel, stride=2, padding=k // 2 - 1, groups=c)


def conv(c_in: int, c_out: int, kernel: int, dilation: int = 1) -> nn.Conv1d:
    """'Same'-length 1-D convolution (odd kernel)."""
    return nn.Conv1d(c_in, c_out, kernel, dilation=dilation, padding=dilation * (kernel - 1) // 2)


def tconv(c_in: int, c_out: int, stride: int, kernel: int) -> nn.ConvTranspose1d:
    """Transposed convolution that maps ``L`` input samples to exactly ``L * stride``.

    Trims ``kernel - stride`` samples in total (half each side, the odd one via
    ``output_padding``), as SEANet/HiFi-GAN do for their ``kernel = 2 * stride`` layers.
    """
    if kernel < stride:
        raise ValueError("transposed-convolution kernel must be at least its stride")
    pad = math.ceil((kernel - stride) / 2)
    return nn.ConvTranspose1d(
        c_in, c_out, kernel, stride=stride, padding=pad, output_padding=2 * pad - (kernel - stride)
    )


class ResidualUnit(nn.Module):
    """``x + conv1x1(act(conv_k,d(act(x))))``: the SEANet/DAC residual unit."""

    def __init__(self, channels: int, act: ActFactory, kernel: int = 3, dilation: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            act(channels),
            conv(channels, channels, kernel, dilation),
            act(channels),
            conv(channels, channels, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def elu(_: int) -> nn.Module:
    """ELU activation factory (SEANet)."""
    return nn.ELU()


def leaky(_: int) -> nn.Module:
    """LeakyReLU(0.1) activation factory (HiFi-GAN)."""
    return nn.LeakyReLU(0.1)


def relu(_: int) -> nn.Module:
    """ReLU activation factory (plain transposed-convolution stack)."""
    return nn.ReLU()
