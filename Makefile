# Two entry points: `make baseline` (install, then simulate the baseline with plots) and
# `make test` (install with test extras and Chromium, lint, then run the whole suite).
# python3 resolves to 3.12 inside this checkout through .python-version (pyenv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNS ?= 1000

.PHONY: baseline test install chromium lint clean

baseline: $(VENV)/.installed
	$(BIN)/alliance-sim run scenarios/baseline.yaml --runs $(RUNS) --seed 0 --force

# The suite in two parts: everything but the browser tests on every core (pytest-xdist), then the browser tests
# alone, since they time a page served from this machine.
test: $(VENV)/.installed-test chromium lint
	$(BIN)/pytest -q -n auto -m "not browser"
	$(BIN)/pytest -q -m browser

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12) and "alliance-sim needs Python 3.12 (Mesa 3.5): install it or set PYTHON=python3.12")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# The browser test drives Debian's Chromium; install it where we can (root with apt), as CI does.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is not installed: the browser tests will be skipped (install Debian's chromium to run them)"; fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check sim tests benchmarks docs
	$(BIN)/ruff format --check sim tests benchmarks docs
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) results/*/ .pytest_cache
