"""Griffin-Lim "decoder": STFT magnitude (optionally squeezed through a mel filterbank) back
to audio by iterative phase retrieval. Nothing is learned; the hop is the stride product.

Uses the fast (momentum) variant of Perraudin, Balazs and Søndergaard (2013).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .base import ZooAutoencoder
from .frontends import frontend_n_fft, mel_filterbank, stft
from .spec import DecoderSpec

MOMENTUM = 0.99


class Magnitude(nn.Module):
    """Encoder: STFT magnitude, or its mel projection mapped back by pseudo-inverse."""

    window: Tensor
    fb: Tensor
    fb_pinv: Tensor

    def __init__(self, spec: DecoderSpec) -> None:
        super().__init__()
        self.hop = spec.stride_product
        self.n_fft = frontend_n_fft(self.hop)
        self.register_buffer("window", torch.hann_window(self.n_fft), persistent=False)
        self.use_mel = spec.gl_mel
        if spec.gl_mel:
            fb = torch.from_numpy(mel_filterbank(spec.out_rate, self.n_fft, spec.n_mels))
            self.register_buffer("fb", fb, persistent=False)
            self.register_buffer("fb_pinv", torch.linalg.pinv(fb), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        mag = stft(x.squeeze(1), self.n_fft, self.hop, self.window).abs()
        if self.use_mel:
            mel = torch.einsum("bft,fm->bmt", mag, self.fb)
            mag = torch.einsum("bmt,mf->bft", mel, self.fb_pinv).clamp_min(0.0)
        return mag


class GriffinLim(nn.Module):
    """Decoder: fast Griffin-Lim from a magnitude with ``T / hop + 1`` frames to ``T`` samples."""

    window: Tensor

    def __init__(self, spec: DecoderSpec) -> None:
        super().__init__()
        self.hop = spec.stride_product
        self.n_fft = frontend_n_fft(self.hop)
        self.n_iter = spec.gl_iters
        self.seed = spec.seed
        self.register_buffer("window", torch.hann_window(self.n_fft), persistent=False)

    def _stft(self, x: Tensor) -> Tensor:
        return stft(x, self.n_fft, self.hop, self.window)

    def _istft(self, spec: Tensor, length: int) -> Tensor:
        return torch.istft(
            spec, self.n_fft, hop_length=self.hop, window=self.window, center=True, length=length
        )

    def forward(self, mag: Tensor) -> Tensor:
        length = self.hop * (mag.shape[-1] - 1)
        gen = torch.Generator().manual_seed(self.seed)
        phase = 2 * torch.pi * torch.rand(mag.shape, generator=gen).to(mag.device)
        angles = torch.polar(torch.ones_like(mag), phase)
        previous = torch.zeros_like(angles)
        for _ in range(self.n_iter):
            rebuilt = self._stft(self._istft(mag * angles, length))
            angles = rebuilt - (MOMENTUM / (1 + MOMENTUM)) * previous
            angles = angles / angles.abs().clamp_min(1e-16)
            previous = rebuilt
        return self._istft(mag * angles, length).unsqueeze(1)


def build(spec: DecoderSpec) -> ZooAutoencoder:
    """Magnitude encoder + Griffin-Lim decoder (no parameters)."""
    return ZooAutoencoder(Magnitude(spec), GriffinLim(spec), spec.stride_product)
