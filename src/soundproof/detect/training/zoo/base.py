"""The autoencoder wrapper every family returns: encoder, decoder, length bookkeeping."""

from __future__ import annotations

import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn


def fit_length(x: Tensor, length: int) -> Tensor:
    """Crop or zero-pad the last axis to ``length`` samples."""
    n = x.shape[-1]
    if n >= length:
        return x[..., :length]
    return F.pad(x, (0, length - n))


class ZooAutoencoder(nn.Module):
    """Audio ``[B, 1, T]`` -> latent at ``rate / hop`` -> audio ``[B, 1, T]``.

    The input is zero-padded to a whole number of hops before encoding and the output is
    cropped back, so the latent grid always starts at sample 0 (chunked rendering relies on
    this to keep the frame phase constant across chunks).
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, hop: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.hop = hop

    def forward(self, audio: Tensor) -> Tensor:
        if audio.dim() != 3 or audio.shape[1] != 1:
            raise ValueError(f"expected audio of shape [B, 1, T], got {tuple(audio.shape)}")
        length = audio.shape[-1]
        padded = fit_length(audio, -(-length // self.hop) * self.hop)
        return fit_length(self.decoder(self.encoder(padded)), length)
