"""Saving and loading trained decoders as state-dict files tagged with their spec."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from .registry import build_decoder
from .spec import DecoderSpec


def save_decoder(model: nn.Module, spec: DecoderSpec, path: str | os.PathLike[str]) -> None:
    """Write ``{"spec": ..., "state_dict": ...}`` to ``path`` atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"spec": asdict(spec), "state_dict": state}, tmp)
    os.replace(tmp, path)


def load_decoder(spec: DecoderSpec, path: str | os.PathLike[str]) -> nn.Module:
    """Build ``spec``'s decoder and load weights saved by :func:`save_decoder` (eval mode).

    Raises ``ValueError`` if the file was saved for a different spec, so a stale cache is
    never silently reused after a configuration change.
    """
    payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    stored = payload.get("spec", {})
    expected = asdict(spec)
    if {k: tuple(v) if isinstance(v, list) else v for k, v in stored.items()} != expected:
        raise ValueError(f"{path}: saved for a different decoder spec than {spec.name}")
    model = build_decoder(spec)
    model.load_state_dict(payload["state_dict"])
    return model.eval()
