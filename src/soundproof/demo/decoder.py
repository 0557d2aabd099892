"""A tiny neural audio decoder in numpy, to make "AI" versions of the demo clips.

Real neural codecs and latent-diffusion vocoders (EnCodec, DAC, Stable Audio's VAE)
end in a stack of transposed 1-D convolutions that upsample a latent sequence at
``sr / S`` frames per second back to audio, where ``S`` is the product of the strides.
Each transposed convolution inserts ``stride - 1`` zeros between input frames and then
filters; the bias added after every layer (and any constant part of its input) becomes
a pattern that repeats every ``stride`` output samples, whatever the weights. So the
decoder's output carries stationary spectral lines at multiples of ``sr / S`` (and of
the intermediate rates): the comb Soundproof's detector looks for.

This module reproduces exactly that mechanism with fixed, seeded random weights: an
analysis step (strided framing with a random projection, i.e. a conv with kernel =
stride = ``S``) makes the latent, then transposed convolutions with bias and an ELU
bring it back to the audio rate. Nothing is trained, so the decoder's output is a
noisy, music-shaped texture rather than a faithful reconstruction; :func:`decoder_version`
mixes it under the original so the clip stays listenable and the only real difference
is the artefact a real decoder would leave.

A transposed convolution with kernel ``2 * stride`` is computed as two matrix products
(one per half of the kernel, each giving ``stride`` output phases) and a shifted add,
so a 30-second clip decodes in a few tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _matmul(a: FloatArray, b: FloatArray) -> FloatArray:
    """``a @ b`` without BLAS threads.

    The matrices here are long and thin (inner size <= 320); multi-threaded BLAS spends
    more time synchronising than computing on them, badly so on a busy machine, while
    einsum's single-threaded loop is fast and steady.
    """
    return np.einsum("ij,jk->ik", a, b)


def _elu(x: FloatArray) -> FloatArray:
    return np.where(x > 0.0, x, np.expm1(np.minimum(x, 0.0)))


@dataclass(frozen=True)
class DecoderConfig:
    """Shape of one decoder: strides from the latent up, and channel widths.

    ``channels[0]`` is the latent width; layer ``i`` maps ``channels[i]`` to
    ``channels[i + 1]`` channels while upsampling by ``strides[i]``. ``bias_scale`` sets
    the spread of the layers' biases and ``latent_bias`` that of the encoder's: the
    latent's constant part, which every real codec latent has and which the first
    transposed convolution turns into a pattern with period ``S`` (lines at ``sr / S``).
    """

    name: str
    strides: tuple[int, ...]
    channels: tuple[int, ...]
    bias_scale: float = 0.3
    latent_bias: float = 1.5

    @property
    def hop(self) -> int:
        """Samples per latent frame: the product of the strides (S)."""
        return int(np.prod(self.strides))


DECODERS: tuple[DecoderConfig, ...] = (
    DecoderConfig("encodec-like", strides=(8, 5, 4, 2), channels=(32, 32, 16, 8, 4)),
    DecoderConfig("dac-like", strides=(8, 8, 4, 2), channels=(32, 32, 16, 8, 4)),
    DecoderConfig("small", strides=(4, 4, 4), channels=(24, 16, 8, 4)),
)
"""The decoder families of the demo: hop 320, 512 and 64 samples."""


@dataclass
class NumpyDecoder:
    """An analysis step plus a transposed-convolution decoder with seeded random weights."""

    config: DecoderConfig
    seed: int = 0
    _encoder: FloatArray = field(init=False, repr=False)
    _encoder_bias: FloatArray = field(init=False, repr=False)
    _layers: list[tuple[FloatArray, FloatArray, int]] = field(init=False, repr=False)
    _head: FloatArray = field(init=False, repr=False)
    _head_bias: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng([self.seed, self.config.hop])
        cfg = self.config
        self._encoder = rng.standard_normal((cfg.hop, cfg.channels[0])) / np.sqrt(cfg.hop)
        self._encoder_bias = rng.standard_normal(cfg.channels[0]) * cfg.latent_bias
        self._layers = []
        for stride, c_in, c_out in zip(
            cfg.strides, cfg.channels[:-1], cfg.channels[1:], strict=True
        ):
            # He-style scale: each output sample sums c_in channels over 2 kernel halves.
            weight = rng.standard_normal((c_in, 2, stride, c_out)) * np.sqrt(2.0 / (2 * c_in))
            bias = rng.standard_normal(c_out) * cfg.bias_scale
            self._layers.append((weight, bias, stride))
        self._head = rng.standard_normal((7, cfg.channels[-1])) / np.sqrt(7 * cfg.channels[-1])
        self._head_bias = float(rng.standard_normal() * cfg.bias_scale)

    def encode(self, audio: FloatArray) -> FloatArray:
        """Latent frames ``(n // S + 1, C0)``: a strided conv (kernel = stride = S) and tanh."""
        hop = self.config.hop
        n_frames = audio.size // hop + 1
        padded = np.zeros(n_frames * hop)
        padded[: audio.size] = audio
        frames = padded.reshape(n_frames, hop)
        scale = 1.0 / (np.sqrt(np.mean(audio**2)) + 1e-9)
        return np.tanh(_matmul(frames, self._encoder) * scale + self._encoder_bias)

    def decode(self, latent: FloatArray) -> FloatArray:
        """Upsample ``latent`` through every transposed conv (+ bias, ELU) to one channel."""
        x = latent
        for weight, bias, stride in self._layers:
            x = _elu(transposed_conv(x, weight, stride) + bias)
        head = np.zeros(x.shape[0])
        for ch in range(x.shape[1]):
            head += np.convolve(x[:, ch], self._head[:, ch], mode="same")
        return head + self._head_bias

    def __call__(self, audio: FloatArray) -> FloatArray:
        """Encode then decode a mono signal; output has the input's length."""
        return self.decode(self.encode(audio))[: audio.size]


def transposed_conv(x: FloatArray, weight: FloatArray, stride: int) -> FloatArray:
    """``ConvTranspose1d`` with kernel ``2 * stride``, trimmed to ``len(x) * stride`` samples.

    ``x`` is ``(L, C_in)`` and ``weight`` ``(C_in, 2, stride, C_out)``: kernel tap
    ``j * stride + r`` of the usual layout. Input frame ``t`` writes output phase ``r``
    of blocks ``t`` (first kernel half) and ``t + 1`` (second half).
    """
    n_in, c_in = x.shape
    c_out = weight.shape[3]
    z = _matmul(x, weight.reshape(c_in, -1)).reshape(n_in, 2, stride, c_out)
    y = np.zeros((n_in + 1, stride, c_out))
    y[:n_in] += z[:, 0]
    y[1:] += z[:, 1]
    # Drop half a block at each end, like padding = stride // 2 in PyTorch.
    flat = y.reshape(-1, c_out)
    start = stride // 2
    return flat[start : start + n_in * stride]


def decoder_version(
    stereo: FloatArray, config: DecoderConfig, seed: int = 0, level_db: float = -18.0
) -> FloatArray:
    """The clip as if a neural decoder had made it: decoder output mixed under the music.

    Each channel goes through the same decoder; its output, without its DC offset, is
    scaled to ``level_db`` relative to the music's RMS and added. Returns the same shape
    as ``stereo`` (``(channels, n)``), peak-normalised to -1 dBFS.
    """
    decoder = NumpyDecoder(config, seed)
    out = np.empty_like(stereo)
    for ch in range(stereo.shape[0]):
        music = stereo[ch]
        artefact = decoder(music)
        artefact -= np.mean(artefact)
        gain = (
            10 ** (level_db / 20)
            * np.sqrt(np.mean(music**2))
            / (np.sqrt(np.mean(artefact**2)) + 1e-12)
        )
        out[ch] = music + gain * artefact
    return out * (10 ** (-1 / 20) / (np.max(np.abs(out)) + 1e-12))
