"""The HTML report in a real browser: headless Chromium through WebDriver.

Why Selenium with Debian's ``chromium-driver`` (rather than ``--dump-dom`` or Playwright):
the tests must *click* a header and *type* in the filter as a person would, which
``--dump-dom`` cannot do; and Debian builds ``chromedriver`` from the same source package
as ``chromium``, so the two always match, whereas Playwright pins its own browser build
(which cannot be downloaded here) and only loosely supports others. Selenium is given
the driver's path, so its driver manager never tries the network.

Skipped, with the reason, only when no Chromium or chromedriver is installed
(``make test`` installs both with apt-get).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from soundproof.detect.result import TrackResult
from soundproof.report import HtmlReport

from .factories import fake_spectrum, row


def _first(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _first("chromium", "chromium-browser", "/usr/lib/chromium/chromium")
CHROMEDRIVER = _first("chromedriver", "/usr/lib/chromium/chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Chromium and chromedriver: apt-get install chromium chromium-driver",
    ),
]

SCRIPT_TITLE = '<img src=x onerror="window.pwned = 1">'
ROWS = 300
NEEDLES = 3


def _rows(folder: Path) -> list[TrackResult]:
    """300 rows of every verdict, with a few findable titles and one hostile one."""
    verdicts = ("human", "ai", "uncertain", "human", "error")
    rows = []
    for i in range(ROWS):
        verdict = verdicts[i % len(verdicts)]
        p_ai = round(((i * 37) % 100) / 100, 2)
        title = "needle song" if i % 100 == 7 else f"track {i}"
        rows.append(row(folder / f"{i:03d}.flac", verdict, p_ai, title=title))
    rows[1] = row(folder / "hostile.flac", "ai", 0.99, title=SCRIPT_TITLE)
    return rows


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[TrackResult]]:
    folder = tmp_path_factory.mktemp("browser")
    rows = _rows(folder)
    report = HtmlReport(
        folder / "report.html", inputs=1, max_plots=2, measure=lambda _path: fake_spectrum()
    )
    list(report.collect(rows))
    report.write()
    return folder / "report.html", rows


@pytest.fixture(scope="module")
def browser(report_page: tuple[Path, list[TrackResult]]) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.get(report_page[0].as_uri())
        yield driver
    finally:
        driver.quit()


def _column(driver: Any, index: int, attribute: str | None = "data-sort") -> list[str]:
    """A column of the rows the page displays (a hidden row has no box), in page order."""
    script = (
        "return Array.from(document.querySelectorAll('#tracks-table tbody tr'))"
        ".filter(tr => tr.getClientRects().length > 0)"
        ".map(tr => arguments[1] ? tr.cells[arguments[0]].getAttribute(arguments[1])"
        " : tr.cells[arguments[0]].textContent)"
    )
    values: list[str] = driver.execute_script(script, index, attribute)
    return values


def _click_header(driver: Any, name: str) -> str:
    from selenium.webdriver.common.by import By

    header = driver.find_element(By.XPATH, f"//th[button[normalize-space()='{name}']]")
    header.find_element(By.TAG_NAME, "button").click()
    state: str = header.get_attribute("aria-sort")
    return state


def test_page_renders_every_row_and_runs_only_its_own_script(
    browser: Any, report_page: tuple[Path, list[TrackResult]]
) -> None:
    assert browser.execute_script("return document.documentElement.dataset.ready") == "true"
    assert len(_column(browser, 0, None)) == ROWS
    assert browser.execute_script("return window.pwned") is None  # the hostile title is text
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('.title')).map(e => e.textContent)"
    )
    assert SCRIPT_TITLE in titles
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []  # no CSP violation, no script error, nothing fetched


def test_clicking_a_header_sorts_and_clicking_again_reverses(browser: Any) -> None:
    assert _click_header(browser, "p_ai") == "descending"
    values = [float(v) for v in _column(browser, 3) if v]
    assert values == sorted(values, reverse=True)
    assert _column(browser, 3)[-1] == ""  # rows without p_ai (errors) go last
    assert _click_header(browser, "p_ai") == "ascending"
    values = [float(v) for v in _column(browser, 3) if v]
    assert values == sorted(values)
    assert _column(browser, 3)[-1] == ""
    assert _click_header(browser, "#") == "ascending"
    assert [int(v) for v in _column(browser, 0, None)] == list(range(1, ROWS + 1))


def test_text_filter_and_verdict_boxes(
    browser: Any, report_page: tuple[Path, list[TrackResult]]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    rows = report_page[1]
    shown = browser.find_element(By.ID, "shown")
    box = browser.find_element(By.ID, "filter")
    box.send_keys("needle")
    WebDriverWait(browser, 5).until(lambda d: len(_column(d, 0, None)) == NEEDLES)
    assert shown.text == f"{NEEDLES} of {ROWS} shown"
    box.clear()
    box.send_keys(" ")  # clear() fires no input event; a blank filter matches everything
    WebDriverWait(browser, 5).until(lambda d: len(_column(d, 0, None)) == ROWS)

    browser.find_element(By.CSS_SELECTOR, "input[name='verdict'][value='human']").click()
    humans = sum(r.verdict == "human" for r in rows)
    WebDriverWait(browser, 5).until(lambda d: len(_column(d, 0, None)) == ROWS - humans)
    assert "human" not in _column(browser, 2, None)
    browser.find_element(By.CSS_SELECTOR, "input[name='verdict'][value='human']").click()
    WebDriverWait(browser, 5).until(lambda d: len(_column(d, 0, None)) == ROWS)


def test_plots_are_drawn(browser: Any) -> None:
    sizes = browser.execute_script(
        "return Array.from(document.querySelectorAll('.plot figure svg')).map(s => {"
        " const r = s.getBoundingClientRect();"
        " return [r.width, r.height, s.querySelectorAll('path').length]; })"
    )
    assert len(sizes) == 2  # max_plots=2
    for width, height, paths in sizes:
        assert width > 300 and height > 150 and paths > 10
