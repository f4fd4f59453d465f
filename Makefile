# Two commands for a newcomer: `make demo` and `make test`. Each makes .venv when missing
# and installs the package with its extras into it; nothing is installed by hand.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DEV    := $(VENV)/.installed-dev
ORACLE := $(VENV)/.installed-oracle
BENCH  := $(VENV)/.installed-bench

.PHONY: demo test test-oracle test-dot lint format bench clean

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "tracegrad needs Python >= 3.10"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(DEV): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[dev,plot]"
	touch $@

$(ORACLE): pyproject.toml | $(DEV)
	$(PY) -m pip install --quiet -e ".[dev,plot,oracle]"
	touch $@

$(BENCH): pyproject.toml | $(DEV)
	$(PY) -m pip install --quiet -e ".[dev,plot,bench]"
	touch $@

demo: $(DEV)
	$(PY) -m tracegrad.demo

test: $(DEV)
	$(PY) -m pytest -q

# PyTorch as a second oracle: a large download, so `make test` leaves it out.
test-oracle: $(ORACLE)
	$(PY) -m pytest -q -m oracle

# Graphs rendered by the system Graphviz `dot` (`make test` uses the embedded renderer only).
test-dot: $(DEV)
	@command -v dot >/dev/null || { echo "make test-dot needs Graphviz's dot program: apt install graphviz (or brew install graphviz)" >&2; exit 1; }
	$(PY) -m pytest -q -m system_dot

lint: $(DEV)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(DEV)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(BENCH)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) build *.egg-info out
