# Two commands for a newcomer: `make demo` and `make test`. Each makes .venv when missing
# and installs into it what it needs; nothing is installed by hand.
#   make demo: tracegrad and its plot extra (numpy, matplotlib, the embedded Graphviz).
#   make test: the same plus the dev extra (pytest, hypothesis, sympy, ruff, mypy, jupyter).
#   make docs: the documentation site into site/ (the docs extra, and PyTorch for notebook 07).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
RUN    := $(VENV)/.installed-run
DEV    := $(VENV)/.installed-dev
ORACLE := $(VENV)/.installed-oracle
BENCH  := $(VENV)/.installed-bench
BROWSER := $(VENV)/.installed-browser

.PHONY: demo docs docs-serve test test-fast test-oracle test-dot test-install test-browser test-try test-fuzz test-tex lint format bench clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "tracegrad needs Python >= 3.10"'
	@echo "== making $(VENV), a virtual environment for tracegrad"
	$(PYTHON) -m venv $(VENV)

$(RUN): pyproject.toml | $(VENV)/bin/python
	@echo "== installing tracegrad with its plot extra into $(VENV) (numpy, matplotlib, wasmtime,"
	@echo "   resvg-py, svglib: about 220 MB installed; about 15 s the first time, then nothing)"
	$(PIP) install --no-compile --progress-bar on -e ".[plot]"
	touch $@

$(DEV): pyproject.toml | $(RUN)
	@echo "== installing the test tools into $(VENV) (pytest, hypothesis, sympy, ruff, mypy, jupyter,"
	@echo "   micrograd: about 190 MB more; about 20 s the first time, then nothing)"
	$(PIP) install --no-compile --progress-bar on -e ".[dev,plot]"
	touch $@

$(ORACLE): pyproject.toml | $(DEV)
	$(PIP) install --quiet -e ".[dev,plot,oracle]"
	touch $@

$(BROWSER): pyproject.toml | $(DEV)
	$(PIP) install --quiet -e ".[dev,plot,browser]"
	touch $@

$(BENCH): pyproject.toml | $(DEV)
	$(PIP) install --quiet -e ".[dev,plot,bench]"
	touch $@

demo: $(RUN)
	$(PY) -m tracegrad.demo

test: $(DEV)
	$(PY) -m pytest -q

# While developing: everything but the tests marked slow (the notebooks, the quick benchmark,
# million-op graphs, subprocesses). `make test` runs them all; so does CI.
test-fast: $(DEV)
	$(PY) -m pytest -q -m "not slow and not oracle and not system_dot and not install and not browser and not try_page and not fuzz and not tex and not site"

# A built wheel beside PyPI's `autograd` in throwaway virtual environments (needs PyPI).
test-install: $(DEV)
	$(PY) -m pytest -q -m install

# The hostile-input fuzz suite at length (make test runs a few examples of each kind).
test-fuzz: $(DEV)
	$(PY) -m pytest -q -m fuzz tests/test_fuzz.py tests/test_fuzz_outputs.py

# PyTorch as a second oracle: a large download, so `make test` leaves it out.
test-oracle: $(ORACLE)
	$(PY) -m pytest -q -m oracle

# Graphs rendered by the system Graphviz `dot` (`make test` uses the embedded renderer only).
test-dot: $(DEV)
	@command -v dot >/dev/null || { echo "make test-dot needs Graphviz's dot program: apt install graphviz (or brew install graphviz)" >&2; exit 1; }
	$(PY) -m pytest -q -m system_dot

# The worked solution's LaTeX through pdflatex, shell escape off: Debian's texlive-latex-base.
test-tex: $(DEV)
	@command -v pdflatex >/dev/null || { echo "make test-tex needs pdflatex: apt-get install texlive-latex-base" >&2; exit 1; }
	$(PY) -m pytest -q -m tex

# The backward-pass page in a real browser: Debian's chromium and chromium-driver, headless.
test-browser: $(BROWSER)
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { echo "make test-browser needs Chromium and its driver: apt-get install chromium chromium-driver" >&2; exit 1; }
	$(PY) -m pytest -q -m browser

# mypy reads a tree of links laid out as installed (tracegrad/ with autograd/ nn/ examples/
# inside): it does not follow setuptools' package-dir mapping.
# mkdocstrings reads the same tree (mkdocs.yml: paths).
MYPY_TREE := build/mypy
.PHONY: installed-tree
installed-tree:
	rm -rf $(MYPY_TREE) && mkdir -p $(MYPY_TREE)/tracegrad
	for f in tracegrad/*; do ln -s ../../../$$f $(MYPY_TREE)/tracegrad/; done
	for d in autograd nn examples; do ln -s ../../../$$d $(MYPY_TREE)/tracegrad/$$d; done

lint: $(DEV) installed-tree
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	cd $(MYPY_TREE) && ../../$(PY) -m mypy --config-file ../../pyproject.toml

format: $(DEV)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# The documentation site, strict: a broken link, a missing reference target or a docstring that
# does not render fails. Every notebook is executed (07 needs PyTorch: the oracle extra).
# NO_MKDOCS_2_WARNING silences Material's banner about its own future (end of life announced
# for May 2027), which is not a warning about this site.
DOCS := $(VENV)/.installed-docs
$(DOCS): pyproject.toml | $(ORACLE)
	@echo "== installing the site's tools into $(VENV) (MkDocs, Material, mkdocstrings, mkdocs-jupyter)"
	$(PIP) install --quiet -e ".[dev,plot,oracle,docs]"
	touch $@

# The Try-it page (site/try/): MkDocs copies docs/try/; docs/make_try.py then adds what the page
# loads: Pyodide and Viz.js from the npm packages pinned in package-lock.json (`npm ci`),
# tracegrad's wheel built from this checkout, the pure graphviz wheel, the seed pages.
NPM := node_modules/.package-lock.json
$(NPM): package.json package-lock.json
	@command -v npm >/dev/null || { echo "make docs needs Node.js and npm (the Try-it page's Pyodide and Graphviz): apt-get install nodejs npm" >&2; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

docs: $(DOCS) installed-tree $(NPM)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict
	$(PY) docs/make_try.py site
	$(PY) -m pytest -q -m site tests/test_site.py

# The Try-it page in headless Chromium, served from the built site/ on 127.0.0.1 (make docs first).
test-try: $(BROWSER)
	@test -f site/try/manifest.json || { echo "make test-try needs the built site: run make docs first" >&2; exit 1; }
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { echo "make test-try needs Chromium and its driver: apt-get install chromium chromium-driver" >&2; exit 1; }
	$(PY) -m pytest -q -m try_page

docs-serve: $(DOCS) installed-tree
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --strict

bench: $(BENCH)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) build site *.egg-info out node_modules
