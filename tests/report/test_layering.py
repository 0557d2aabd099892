"""The report package stays an interface layer, and costs nothing unless it is used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import soundproof

LOWER_LAYERS = ("audio", "detect", "fingerprint", "watermark", "identity", "store", "scan")


def test_no_lower_layer_imports_the_report_package() -> None:
    root = Path(soundproof.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for layer in LOWER_LAYERS
        for path in (root / layer).rglob("*.py")
        if "soundproof.report" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_matplotlib_is_imported_only_when_a_plot_is_drawn() -> None:
    code = (
        "import sys, io\n"
        "import soundproof.cli.main, soundproof.report\n"
        "from soundproof.report import write_csv\n"
        "write_csv([], io.StringIO())\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
