# Airlock — every install step lives here. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OPA_VERSION := v1.22.3
TOOLS := $(CURDIR)/.tools/bin
OPA := $(TOOLS)/opa
CI ?=

export LITELLM_LOCAL_MODEL_COST_MAP := True
export AIRLOCK_OPA_BIN := $(OPA)

.PHONY: help install run test lint typecheck rego services bench soak clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet -e clients/python --config-settings editable_mode=compat
	touch $@

install: $(BIN)/.installed  ## create .venv and install Airlock with its dev dependencies

# The real OPA, built from source with the Go toolchain and cached in .tools/bin.
$(TOOLS)/.opa-$(OPA_VERSION):
	mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) GOFLAGS=-buildvcs=false go install github.com/open-policy-agent/opa@$(OPA_VERSION)
	touch $@

opa: $(TOOLS)/.opa-$(OPA_VERSION)  ## build the pinned OPA into .tools/bin

# Debian's redis-server, chromium and wrk. Outside CI a failed install is reported and the tests
# that need it skip loudly; in CI it fails the run.
DEBIAN_PACKAGES := redis-server:redis-server chromium:/usr/bin/chromium wrk:wrk

services:  ## install what the tests and the benchmark need (redis-server, chromium, wrk, OPA)
	@for entry in $(DEBIAN_PACKAGES); do \
	  package=$${entry%%:*}; binary=$${entry#*:}; \
	  command -v $$binary >/dev/null && continue; \
	  echo ">>> installing $$package (Debian)"; \
	  { [ -n "$$APT_UPDATED" ] || apt-get update -q; } && APT_UPDATED=1 \
	    && apt-get install -y -q $$package \
	    || { [ -n "$(CI)" ] && exit 1; echo "!!! $$package could not be installed: tests that need it will be SKIPPED"; }; \
	done
	@$(MAKE) --no-print-directory opa \
	  || { [ -n "$(CI)" ] && exit 1; echo "!!! OPA could not be built: OPA tests will be SKIPPED"; }

export OPENAI_BASE_URL ?= https://api.openai.com/v1
export OPENAI_API_KEY ?=
export AIRLOCK_AGENT_KEY ?= airlock-demo-key

run: install  ## run the gateway on the example config (embedded engine, in-memory state)
	@echo ">>> Airlock on http://127.0.0.1:4000/v1 — agent key: $$AIRLOCK_AGENT_KEY"
	$(BIN)/airlock serve

lint: install  ## ruff and mypy --strict
	$(BIN)/ruff check gateway tests clients
	$(BIN)/ruff format --check gateway tests clients
	$(BIN)/mypy

# Always on rego/ itself: rego/data.json is {"airlock": …} and loads at the data root.
rego: opa  ## opa fmt, opa check --strict, opa test on rego/
	$(OPA) fmt --list --fail rego
	$(OPA) check --strict rego
	$(OPA) test --fail-on-empty rego

test: install services lint rego  ## everything: lint, rego, the whole pytest suite
	CI=$(CI) $(BIN)/pytest -q

# LiteLLM proxy's runtime needs, for the side-by-side comparison only (pyproject: bench extra).
$(BIN)/.bench-installed: $(BIN)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

# About 10 minutes on 2 cores; BENCH_ARGS=--quick for a smoke run (tests/bench/run.py --help).
bench: install services $(BIN)/.bench-installed  ## gateway vs direct vs LiteLLM proxy: wrk table, TTFT, RSS
	$(BIN)/python tests/bench/run.py $(BENCH_ARGS)

# About 6 minutes; SOAK_ARGS="--duration 60 --rate 50" for a shorter one (tests/bench/soak.py --help).
soak: install services  ## 5 min of steady load on a Redis-state gateway, Redis restarted midway
	$(BIN)/python tests/bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
