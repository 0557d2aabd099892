# Soundproof developer entry points. Each target installs what it needs into .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: demo test lint typecheck bench eval train screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Core install only (no torch): decode, detect, scan.
$(VENV)/.core: $(BIN)/python pyproject.toml
	$(PIP) install --quiet -e .
	touch $@

# Everything the tests exercise: the core, the [train] extra and the dev tools.
$(VENV)/.dev: $(BIN)/python pyproject.toml
	$(PIP) install --quiet -e '.[train,dev]'
	touch $@ $(VENV)/.core

demo: $(VENV)/.core
	$(BIN)/soundproof demo --out demo-data

# The browser tests of the HTML report drive Debian's chromium through chromium-driver.
test: lint
	@{ command -v chromium && command -v chromedriver; } >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } || \
	  echo "warning: install chromium and chromium-driver (Debian) to run the browser tests"
	$(BIN)/python -m pytest -q -n 2

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

# Rendering freedoom's MIDI needs Debian's fluidsynth program (training data only).
train: $(VENV)/.dev
	@command -v fluidsynth >/dev/null || apt-get install -y fluidsynth || \
	  echo "warning: install fluidsynth (Debian) to render freedoom's music"
	$(BIN)/soundproof detect train --output src/soundproof/models/detector.json

eval: $(VENV)/.dev
	$(BIN)/soundproof detect eval --out docs/evaluation

# docs/report-screenshot.png, the README's picture of `soundproof scan --html` (needs chromium).
screenshot: $(VENV)/.core
	$(BIN)/python scripts/report_screenshot.py docs/report-screenshot.png

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/detector_speed.py
	$(BIN)/python benchmarks/scan_catalogue.py
	$(BIN)/python benchmarks/ledger.py

clean:
	rm -rf $(VENV) demo-data .pytest_cache .mypy_cache .ruff_cache
