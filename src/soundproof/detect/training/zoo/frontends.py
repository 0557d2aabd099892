"""Encoders of the zoo's autoencoders: what turns audio into the latent a decoder consumes.

The encoders are deliberately light. Two kinds exist: a learned strided "analysis
filterbank" (waveform families) and a fixed log-mel spectrogram (vocoder families). Both
produce exactly ``T / hop`` frames for an input of ``T`` samples, ``T`` a multiple of ``hop``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn


class WaveEncoder(nn.Module):
    """Learned encoder: a strided convolution over two hops per frame, ELU, a 3-tap mix.

    One latent frame summarises ``2 * hop`` samples centred on its hop; the decoder must
    learn the synthesis side.
    """

    def __init__(self, hop: int, channels: int, latent_dim: int) -> None:
        super().__init__()
        self.analysis = nn.Conv1d(1, channels, 2 * hop, stride=hop, padding=hop // 2)
        self.mix = nn.Sequential(nn.ELU(), nn.Conv1d(channels, latent_dim, 3, padding=1))
        self.hop = hop

    def forward(self, x: Tensor) -> Tensor:
        frames = x.shape[-1] // self.hop
        return self.mix(self.analysis(x)[..., :frames])


def stft(x: Tensor, n_fft: int, hop: int, window: Tensor) -> Tensor:
    """The complex STFT every front-end and Griffin-Lim use: centred, zero-padded."""
    return torch.stft(
        x,
        n_fft,
        hop_length=hop,
        window=window,
        center=True,
        pad_mode="constant",
        return_complex=True,
    )


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Triangular HTK-scale mel filters, shape ``(n_fft // 2 + 1, n_mels)``, area-normalised."""
    n_freqs = n_fft // 2 + 1
    freqs = np.linspace(0.0, sample_rate / 2, n_freqs)

    def to_mel(f: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    mel_edges = np.linspace(0.0, to_mel(np.array(sample_rate / 2)), n_mels + 2)
    hz_edges = 700.0 * (10.0 ** (mel_edges / 2595.0) - 1.0)
    lo, mid, hi = hz_edges[:-2], hz_edges[1:-1], hz_edges[2:]
    f = freqs[:, None]
    rise = (f - lo) / np.maximum(mid - lo, 1e-9)
    fall = (hi - f) / np.maximum(hi - mid, 1e-9)
    fb = np.clip(np.minimum(rise, fall), 0.0, None)
    fb *= 2.0 / np.maximum(hi - lo, 1e-9)
    return fb.astype(np.float32)


def frontend_n_fft(hop: int) -> int:
    """STFT size used with a given hop: four hops (75 % overlap), at least 1024 points."""
    return max(4 * hop, 1024)


class LogMel(nn.Module):
    """Fixed log-mel spectrogram with hop ``hop`` (HiFi-GAN/Vocos input representation).

    Frames are centred on multiples of the hop. ``T / hop`` frames are returned, or
    ``T / hop + 1`` with ``keep_last`` (what an inverse STFT of length ``T`` needs).
    """

    window: Tensor
    fb: Tensor

    def __init__(self, sample_rate: int, hop: int, n_mels: int, keep_last: bool = False) -> None:
        super().__init__()
        self.hop = hop
        self.keep_last = keep_last
        self.n_fft = frontend_n_fft(hop)
        self.register_buffer("window", torch.hann_window(self.n_fft), persistent=False)
        fb = mel_filterbank(sample_rate, self.n_fft, n_mels)
        self.register_buffer("fb", torch.from_numpy(fb), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        frames = x.shape[-1] // self.hop + int(self.keep_last)
        mag = stft(x.squeeze(1), self.n_fft, self.hop, self.window).abs()[..., :frames]
        mel = torch.einsum("bft,fm->bmt", mag, self.fb)
        return torch.log(mel.clamp_min(1e-5))
