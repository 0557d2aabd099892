"""``render``: pass a whole track through a decoder in bounded memory, keeping its length
and level."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .spec import DecoderSpec
from .train import TARGET_RMS


def _device(model: nn.Module) -> torch.device:
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def render(
    model: nn.Module,
    spec: DecoderSpec,
    audio: np.ndarray,
    *,
    chunk_s: float = 10.0,
    context_s: float = 0.5,
) -> np.ndarray:
    """Decode ``audio`` (mono float32 at ``spec.out_rate``) through ``model``; same length out.

    The input is brought to the training level, then processed in chunks of about
    ``chunk_s`` seconds, each run with ``context_s`` of neighbouring audio on both sides
    that is then discarded, so chunk seams are invisible. Chunk starts are multiples of the
    stride product, keeping the latent grid (and so the phase of any comb) continuous. The
    output is scaled to the input's RMS, then scaled down further only if its peak would
    exceed 0.999.
    """
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    n = x.size
    if n == 0:
        return x.copy()
    rms_in = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    gain = TARGET_RMS / rms_in if rms_in > 1e-6 else 1.0
    hop = spec.stride_product
    chunk = max(1, round(chunk_s * spec.out_rate / hop)) * hop
    context = math.ceil(context_s * spec.out_rate / hop) * hop
    device = _device(model)
    out = np.empty(n, dtype=np.float32)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, n, chunk):
                end = min(start + chunk, n)
                lo, hi = max(0, start - context), min(n, end + context)
                piece = torch.from_numpy(x[lo:hi] * np.float32(gain)).to(device)
                y = model(piece.view(1, 1, -1))[0, 0].float().cpu().numpy()
                out[start:end] = y[start - lo : end - lo]
    finally:
        model.train(was_training)
    if not np.all(np.isfinite(out)):
        raise RuntimeError(f"{spec.name}: decoder produced non-finite samples")
    rms_out = float(np.sqrt(np.mean(out.astype(np.float64) ** 2)))
    if rms_out > 1e-12:
        out *= np.float32(rms_in / rms_out)
    peak = float(np.abs(out).max())
    if peak > 0.999:
        out *= np.float32(0.999 / peak)
    return out
