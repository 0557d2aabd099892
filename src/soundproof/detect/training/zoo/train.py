"""``train_decoder``: brief reconstruction training of one zoo autoencoder on real excerpts.

Training is short on purpose (a few hundred Adam steps on CPU): the decoder only has to
produce music-like audio; the upsampling artifacts come from its architecture. Call
``torch.set_num_threads`` before, if needed; this module leaves threading alone.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .losses import reconstruction_loss
from .registry import TRAINABLE, build_decoder
from .spec import DecoderSpec

DEFAULT_STEPS = 150
"""Default number of optimiser steps. Measured on one thread of a shared 2-core machine:
12-50 s per configuration, about 100-125 s for the DAC 44.1/48 kHz and BigVGAN ones
(their Snake activations run at every sample of every stage)."""

TARGET_RMS = 0.08
"""Level audio is brought to before it enters a decoder, in training and in rendering."""

GRAD_CLIP = 1.0
"""Gradient-norm clipping threshold (early steps of a fresh decoder can spike)."""

GAIN_DB = 6.0
"""Training segments get a random gain of +-GAIN_DB around TARGET_RMS."""


class SegmentSampler:
    """Draws random, level-normalised, hop-aligned segments from a list of excerpts.

    Excerpts are picked with probability proportional to their length; near-silent
    segments are redrawn (a few times) since they teach the decoder nothing.
    """

    def __init__(self, excerpts: Sequence[np.ndarray], length: int, seed: int) -> None:
        clips = [np.asarray(e, dtype=np.float32).reshape(-1) for e in excerpts]
        clips = [c for c in clips if c.size > 0 and np.all(np.isfinite(c))]
        if not clips:
            raise ValueError("train_decoder needs at least one non-empty, finite excerpt")
        self.clips = clips
        sizes = np.array([c.size for c in clips], dtype=np.float64)
        self.weights = sizes / sizes.sum()
        self.length = length
        self.rng = np.random.default_rng(seed)

    def _segment(self) -> np.ndarray:
        for _ in range(8):
            clip = self.clips[self.rng.choice(len(self.clips), p=self.weights)]
            start = int(self.rng.integers(0, max(clip.size - self.length, 0) + 1))
            seg = np.zeros(self.length, dtype=np.float32)
            piece = clip[start : start + self.length]
            seg[: piece.size] = piece
            rms = float(np.sqrt(np.mean(seg.astype(np.float64) ** 2)))
            if rms > 1e-4:
                break
        gain = TARGET_RMS * 10 ** (self.rng.uniform(-GAIN_DB, GAIN_DB) / 20) / max(rms, 1e-4)
        seg *= gain
        peak = float(np.abs(seg).max())
        return seg * (0.99 / peak) if peak > 0.99 else seg

    def batch(self, size: int) -> torch.Tensor:
        """A ``[size, 1, length]`` float32 tensor."""
        return torch.from_numpy(np.stack([self._segment() for _ in range(size)])[:, None, :])


def train_decoder(
    spec: DecoderSpec,
    excerpts: Sequence[np.ndarray],
    *,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    batch_size: int = 8,
    segment_s: float = 0.5,
    lr: float = 2e-3,
    log: Callable[[str], None] | None = None,
) -> nn.Module:
    """Build ``spec``'s autoencoder and fit it to ``excerpts`` (mono float32 at ``out_rate``).

    Loss: waveform L1 + multi-resolution STFT (spectral convergence + log-magnitude L1).
    Adam with a cosine decay of the learning rate to a tenth, gradient norm clipped at 1.
    ``seed`` drives segment sampling; the initial weights come from ``spec.seed``. Returns
    the model in eval mode. Griffin-Lim (nothing to learn) is returned untrained.
    """
    model = build_decoder(spec)
    if spec.family not in TRAINABLE or steps <= 0:
        return model.eval()
    hop = spec.stride_product
    length = max(2, round(segment_s * spec.out_rate / hop)) * hop
    sampler = SegmentSampler(excerpts, length, seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.Adam(params, lr=lr, betas=(0.9, 0.99))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda i: 0.1 + 0.45 * (1 + math.cos(math.pi * min(i / steps, 1.0)))
    )
    every = max(steps // 10, 1)
    started = time.perf_counter()
    # No layer draws random numbers today; seeding a forked RNG keeps any future stochastic
    # layer reproducible without touching the caller's global RNG state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model.train()
        for step in range(1, steps + 1):
            batch = sampler.batch(batch_size)
            loss = reconstruction_loss(model(batch), batch, spec.out_rate)
            if not torch.isfinite(loss):
                raise RuntimeError(f"{spec.name}: loss became non-finite at step {step}")
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(params, GRAD_CLIP)
            optimiser.step()
            schedule.step()
            if log is not None and (step % every == 0 or step == 1):
                elapsed = time.perf_counter() - started
                log(f"{spec.name}: step {step}/{steps} loss {loss.item():.4f} ({elapsed:.1f} s)")
    return model.eval()
