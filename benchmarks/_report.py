"""Shared by the benchmarks: machine description and writing a section of docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
HEADER = (
    "# Benchmarks\n\n"
    "Each section is written by one script under `benchmarks/`; rerun it to refresh the "
    "section. The machines are shared and noisy, so compare the ratios measured within "
    "one run; absolute times are rough context. Raw figures are in `docs/benchmarks/*.json`.\n"
)


def machine() -> str:
    """A one-line description of where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_section(name: str, markdown: str, figures: dict[str, Any]) -> None:
    """Replace (or append) the section ``name`` of docs/benchmarks.md and its JSON twin."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = f"## {name}\n\nMeasured {stamp} on {machine()}.\n\n{markdown.strip()}\n"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(body + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + body
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    raw = DOC.parent / "benchmarks" / f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps({"measured": stamp, "machine": machine(), **figures}, indent=2))
