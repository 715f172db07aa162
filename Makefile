# Two commands matter: `make book` and `make test` (see README.md). Both set up .venv first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LOCK ?= requirements/cpu-lock.txt
STAMP := $(VENV)/.installed
MATHJAX := _vendor/mathjax/tex-mml-chtml.js
JB_FLAGS := -W -n --keep-going

# On this project's machines the read-only offline datasets sit next to the repository.
SHARED_DATA := $(abspath ../shared/data)
ifeq ($(wildcard $(SHARED_DATA)),)
else
export CNNBOOK_DATA_DIR ?= $(SHARED_DATA)
endif
export TF_CPP_MIN_LOG_LEVEL ?= 1
# TF 2.21 prints a timestamped "oneDNN custom operations are on" line to stderr whatever the log
# level, and nbval compares stderr; oneDNN also mis-computes one Conv2D corner case (tests/test_ops_tf.py).
export TF_ENABLE_ONEDNN_OPTS ?= 0
export PYTHONHASHSEED ?= 0
# What pages need (trained weights) is built once per key, before the chapters (tools/artefacts.py);
# the chapters load it from here instead of training it again.
export CNNBOOK_ARTEFACTS_DIR ?= $(abspath _build/artefacts)

.PHONY: help setup book lint test test-unit test-notebooks test-book test-browser test-full test-gpu bench linkcheck lock lock-check clean

help:
	@echo "make book   build the HTML book into _build/html (executes every notebook)"
	@echo "make test   lint, unit tests, nbval over every notebook, strict book build, browser test"
	@echo "make lint   ruff (package, tests, bench, tools), mypy cnnbook, notebook code cells at 80 columns"
	@echo "make test-full CHAPTERS=\"training_well speed\"   the chapters in the full profile (default: changed ones); MEASURE=1 logs every floor without stopping"
	@echo "make test-gpu CHAPTERS=\"speed\"   on a CUDA GPU, in its own environment: nbval (lax, full profile), chapters without TensorFlow"
	@echo "make bench  loader and training-loop benchmarks (tables and JSON in bench/results/)"
	@echo "make linkcheck   (network) dataset mirrors' sizes and the built book's external links"

setup: $(STAMP) $(MATHJAX)

# The locks are resolved for CPython 3.11.5 or a later 3.11; any other interpreter stops here.
# torch's +cpu build comes from PyTorch's CPU wheel index, named for that one requirement only:
# an index that does not answer then costs one lookup, not one per requirement.
TORCH_INDEX := https://download.pytorch.org/whl/cpu

$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) tools/check_python.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python tools/check_python.py
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps --retries 1 --timeout 15 \
	  --extra-index-url $(TORCH_INDEX) "$$(grep -E '^torch==' $(LOCK))"
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	@touch $@

# Offline MathJax: fetch the npm package mathjax@3 when npm exists; otherwise the CDN is used.
$(MATHJAX):
	@if command -v npm >/dev/null 2>&1; then \
	  tmp=$$(mktemp -d); \
	  (cd $$tmp && npm pack --silent mathjax@3 >/dev/null && tar -xzf mathjax-*.tgz); \
	  mkdir -p _vendor/mathjax; \
	  cp -r $$tmp/package/es5/tex-mml-chtml.js $$tmp/package/es5/{output,input,ui,a11y} _vendor/mathjax/; \
	  rm -rf $$tmp; echo "MathJax served locally from _vendor/mathjax"; \
	else echo "npm not found: math will load MathJax from its CDN"; fi

BOOK_PROFILE = $(or $(CNNBOOK_PROFILE),full)
# The artefacts pages need first (tools/artefacts.py), then every chapter, even when one fails;
# the build ends with one summary (tools/build_book.py).
book: setup
	@echo "Building the book in the $(BOOK_PROFILE) profile (CNNBOOK_PROFILE)"
	$(BIN)/python -m tools.build_book --profile $(BOOK_PROFILE)
	@echo "Book built: open file://$(abspath _build/html/index.html)"

# The stored notebook outputs come from the quick profile, so the tests run it unless told otherwise.
test test-unit test-notebooks test-book test-browser: export CNNBOOK_PROFILE ?= quick
test: setup lint test-unit test-notebooks test-book test-browser

# The post's quoted cells (tags post-verbatim, post-runnable) are skipped by the notebook lint.
lint: setup
	$(BIN)/ruff check cnnbook tests bench tools
	$(BIN)/mypy cnnbook
	$(BIN)/python -m tools.lint_notebooks

test-unit: setup
	$(BIN)/python -m pytest -m "not browser" tests

NOTEBOOKS = $(shell $(BIN)/python -m tools.toc)
# The artefacts first (trained once, in this profile), so no chapter trains them under nbval.
test-notebooks: setup
	$(BIN)/python -m tools.artefacts --profile $(CNNBOOK_PROFILE)
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-cell-timeout=600 \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider $(NOTEBOOKS)

# Strict build from the outputs that nbval has just verified (each notebook executes once).
test-book: setup
	mkdir -p _build && $(BIN)/python -m tools.book_config --execute off > _build/_config.noexec.yml
	$(BIN)/jupyter-book build $(JB_FLAGS) --all --config _build/_config.noexec.yml .
	$(BIN)/python -m tools.edition --stored

test-browser: setup
	$(BIN)/python -m pytest -m browser tests

# The named chapters (default: those changed since BASE) in the full profile, floors logged.
CHAPTERS ?=
test-full: setup
	$(BIN)/python -m tools.test_full $(if $(filter 1,$(MEASURE)),--measure )$(CHAPTERS)

# On a CUDA machine: nbval (lax, full profile) over the chapters that need no TensorFlow, in an
# environment of its own (.gpu/venv: a CUDA torch, then requirements/gpu.txt), never the CPU lock.
# CHAPTERS="speed training_well" runs only those; GPU_ARGS="--wheels .whl --data DIR" runs offline
# (see `bash .ci/gpu_notebooks.sh --help`).
GPU_ARGS ?=
test-gpu:
	bash .ci/gpu_notebooks.sh $(GPU_ARGS) $(CHAPTERS)

bench: setup
	$(BIN)/python bench/bench_datasets.py
	$(BIN)/python bench/bench_training.py

# Network: each dataset mirror must answer with the registry's size, and each external link of the
# built book (_build/html; else the sources) must answer. A table, _build/reports/links.json, and a
# non-zero exit when something is broken. Not part of `make test`: .github/workflows/links.yml runs
# it weekly. It needs only NumPy (the registry): .venv's Python when there is one, else $(PYTHON).
LINKCHECK_PYTHON = $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
linkcheck:
	$(LINKCHECK_PYTHON) -m tools.linkcheck

# One lock per platform (Linux, macOS arm64, Windows) with uv, from the public indexes only
# (tools/lock.py); `make lock-check` resolves them again, as a test in `make test` does.
lock: setup
	$(BIN)/python -m tools.lock

lock-check: setup
	$(BIN)/python -m tools.lock --check

clean:
	rm -rf _build
