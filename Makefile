# PaperBot developer entry points. Only python3 is needed: `make run` creates .venv and installs into it.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench bench-discord smoke lock examples pictures clean

# From the checkout, PaperBot's home is the checkout: ./.env is read and the index and state go to ./data.
# Installed elsewhere it defaults to ~/.local/share/paperbot (see README, "Files and folders").
export PAPERBOT_HOME ?= $(CURDIR)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Build the index from the bundled corpus (idempotent: seconds after the first time), then start PaperBot:
# the Discord bot with DISCORD_TOKEN set, otherwise the local console.
run: setup
	$(BIN)/paperbot ingest
	$(BIN)/paperbot run

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy core app paperbot retrieval answer prompts storage digest bot
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile
	$(BIN)/shellcheck deploy/*.sh .ci/run .ci/smoke-install

bench: setup
	$(BIN)/paperbot bench

bench-discord: setup
	$(BIN)/python benchmarks/discord_ack.py

# The production install (deploy/install.sh into a fresh prefix) smoke-tested outside the checkout.
smoke:
	.ci/smoke-install

# Re-resolve deploy/constraints.txt after changing dependencies in pyproject.toml.
lock:
	deploy/lock.sh

# Rewrite the README's command examples with the commands' real output (tests/test_readme_examples.py checks them).
examples: setup
	$(BIN)/paperbot ingest -q
	$(BIN)/paperbot examples --write README.md

# docs/img/*.png from real output: the /ask and digest embeds and the terminal (headless Chromium, CHROMIUM=...),
# and the chart of BENCHMARKS.md's figures.
pictures: setup
	$(BIN)/paperbot ingest -q
	$(BIN)/python docs/pictures.py
	$(BIN)/python docs/bench_chart.py

clean:
	rm -rf $(VENV) data/index data/state.sqlite3* .pytest_cache .mypy_cache .ruff_cache
