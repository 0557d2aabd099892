"""Regenerate ``docs/report-screenshot.png``: the README's picture of an HTML report.

Run ``make screenshot`` (or ``python scripts/report_screenshot.py [OUT.png]``). It writes
the offline demo set into a temporary folder, scans it with the shipped model exactly as
``soundproof scan demo-data --html report.html`` would, and has headless Chromium
(Debian's ``chromium`` package) take a picture of the page. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from soundproof.demo import make_demo_set
from soundproof.report import HtmlReport
from soundproof.scan import scan

WINDOW = (1400, 2300)
"""Browser window in CSS pixels: the summary, the table and the first spectra."""


def find_chromium() -> str:
    """The Chromium executable, or exit with a hint."""
    for name in ("chromium", "chromium-browser", "/usr/lib/chromium/chromium"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("error: Chromium not found; install it with: apt-get install chromium")


def write_demo_report(folder: Path) -> Path:
    """Scan a fresh demo set (in input order) and write its HTML report under ``folder``.

    Runs inside ``folder`` so that the rows show short relative paths (``demo-data/...``),
    as they would for a user who ran ``make demo`` and scanned its output.
    """
    with contextlib.chdir(folder):
        make_demo_set(Path("demo-data"), seed=0)
        paths = ["demo-data/human", "demo-data/ai", "demo-data/broken.mp3"]
        report = HtmlReport(Path("report.html"), inputs=len(paths))
        list(report.collect(scan(paths, workers=0, progress=False, ordered=True)))
        report.write()
    return folder / "report.html"


def screenshot(page: Path, out: Path) -> None:
    """Save a PNG of ``page`` as headless Chromium renders it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [
        find_chromium(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--screenshot={out.resolve()}",
        page.resolve().as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("docs/report-screenshot.png"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        page = write_demo_report(Path(tmp))
        screenshot(page, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
