"""Vocos-like vocoder: ConvNeXt blocks at frame rate, a head predicting STFT magnitude and
phase, and an inverse STFT with hop = stride product. There is no learned upsampling."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .base import ZooAutoencoder
from .frontends import LogMel, frontend_n_fft
from .spec import DecoderSpec


class ConvNeXtBlock(nn.Module):
    """Depthwise conv7, LayerNorm, pointwise MLP (x3, GELU), layer scale, residual."""

    def __init__(self, dim: int, layer_scale: float) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 3 * dim), nn.GELU(), nn.Linear(3 * dim, dim))
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: Tensor) -> Tensor:
        y = self.dwconv(x).transpose(1, 2)
        y = self.gamma * self.mlp(self.norm(y))
        return x + y.transpose(1, 2)


class VocosDecoder(nn.Module):
    """Log-mel frames -> ConvNeXt backbone -> (log-magnitude, phase) -> ``torch.istft``."""

    window: Tensor

    def __init__(self, spec: DecoderSpec) -> None:
        super().__init__()
        dim = spec.channels
        self.hop = spec.stride_product
        self.n_fft = frontend_n_fft(self.hop)
        self.embed = nn.Conv1d(spec.n_mels, dim, 7, padding=3)
        self.norm_in = nn.LayerNorm(dim)
        self.blocks = nn.Sequential(
            *(ConvNeXtBlock(dim, 1.0 / spec.n_blocks) for _ in range(spec.n_blocks))
        )
        self.norm_out = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 2 * (self.n_fft // 2 + 1))
        self.register_buffer("window", torch.hann_window(self.n_fft), persistent=False)

    def forward(self, mel: Tensor) -> Tensor:
        x = self.norm_in(self.embed(mel).transpose(1, 2)).transpose(1, 2)
        x = self.norm_out(self.blocks(x).transpose(1, 2))
        log_mag, phase = self.head(x).transpose(1, 2).chunk(2, dim=1)
        mag = torch.exp(log_mag).clamp(max=100.0)
        spec = torch.polar(mag, phase)
        length = self.hop * (mel.shape[-1] - 1)
        audio = torch.istft(
            spec, self.n_fft, hop_length=self.hop, window=self.window, center=True, length=length
        )
        return audio.unsqueeze(1)


def build(spec: DecoderSpec) -> ZooAutoencoder:
    """Fixed log-mel encoder (one extra frame so the inverse STFT spans T) + Vocos."""
    encoder = LogMel(spec.out_rate, spec.stride_product, spec.n_mels, keep_last=True)
    return ZooAutoencoder(encoder, VocosDecoder(spec), spec.stride_product)
