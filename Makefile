# CERT Council — `make run` (set up and serve the demo) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run run-cluster services test lint vendor deps dev-deps pdf-deps init seed clean

run: deps pdf-deps vendor init seed ## Set up everything and serve the demo on http://127.0.0.1:5000
	@echo "Serving on http://$(HOST):$(PORT)/ — sign in with a demo login above (Ctrl-C stops)."
	$(FLASK) council serve --host $(HOST) --port $(PORT)

run-cluster: deps vendor services ## Two app processes on PostgreSQL + Redis (ports 5001, 5002)
	$(BIN)/python scripts/run_cluster.py --host $(HOST)

# WeasyPrint (PDF exports) needs pango from the OS: installed when we can, else said plainly.
pdf-deps: deps
	@$(BIN)/python -c "import weasyprint" 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null || apt-get update -qq && \
	    apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	  else echo "note: PDF exports need pango: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0"; fi; }

# The local PostgreSQL and Redis, started if stopped (the scale tests and run-cluster need them).
services:
	@scripts/services-up

# Two workers (pytest-xdist); the contract fuzzing runs on its own afterwards: schemathesis
# folds its per-operation subtests into one item under xdist, and its closing check reads the run.
test: dev-deps vendor ## The whole test suite
	$(BIN)/python -m pytest -n 2 --dist loadgroup --ignore=tests/test_api_contract.py
	$(BIN)/python -m pytest tests/test_api_contract.py

lint: dev-deps
	$(BIN)/ruff check .

deps: $(VENV)/.runtime
dev-deps: $(VENV)/.dev

$(VENV)/.runtime: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Front-end libraries come from npm (package-lock.json) and are copied into
# static/vendor/: never committed, never loaded from a CDN.
vendor: static/vendor/.stamp
static/vendor/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/socket.io-client/dist/socket.io.esm.min.js static/vendor/
	mkdir -p static/vendor/fonts
	cp node_modules/@fontsource/noto-nastaliq-urdu/files/noto-nastaliq-urdu-arabic-*-normal.woff2 \
	   node_modules/@fontsource/noto-nastaliq-urdu/LICENSE static/vendor/fonts/
	touch $@

init: deps
	$(FLASK) council init

seed: deps
	$(FLASK) council seed-demo

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
