# Clearway: `make run` to use it, `make test` to check it. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CLEARWAY := $(BIN)/clearway
HOST ?= 127.0.0.1
PORT ?= 8000
NHSUK := node_modules/nhsuk-frontend/dist/nhsuk
STATIC := build/static/nhsuk

.PHONY: help install run serve demo test lint types migrations-check test-fast test-browser bench clean

help:
	@echo "make run    set everything up, load the demo service and serve it on http://$(HOST):$(PORT)"
	@echo "make test   every check: lint, types, migrations, fast tests, browser tests"
	@echo "make install | demo | serve | lint | types | test-fast | test-browser | bench | clean"

# --- set-up: each step is redone only when its inputs change -------------------------------
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Clearway needs Python 3.11 or newer (found $$($(PYTHON) --version))."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Clearway needs Node.js and npm for the NHS.UK frontend assets: sudo apt-get install nodejs npm"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# nhsuk-frontend's CSS asks for its icons at /assets/; Clearway serves them under /static/nhsuk/.
$(STATIC)/.built: node_modules/.installed
	rm -rf $(STATIC) && mkdir -p $(STATIC)
	cp -r $(NHSUK)/assets $(STATIC)/assets
	sed 's#url(/assets/#url(/static/nhsuk/assets/#g' $(NHSUK)/nhsuk-frontend.min.css > $(STATIC)/nhsuk-frontend.min.css
	cp $(NHSUK)/nhsuk-frontend.min.js $(STATIC)/nhsuk-frontend.min.js
	@touch $@

# Local settings only: production reads its settings from the real environment.
.env:
	@echo "CLEARWAY_ENV=local" > $@
	@echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" >> $@
	@echo "# SMS and email go to the local GOV.UK Notify stand-in unless these are set (docs/messages.md)." >> $@
	@echo "# NOTIFY_API_KEY=  NOTIFY_SMS_TEMPLATE_ID=  NOTIFY_EMAIL_TEMPLATE_ID=  NOTIFY_BASE_URL=" >> $@
	@echo "Wrote .env (local settings; not for production)."

install: $(VENV)/.installed $(STATIC)/.built .env
	@mkdir -p var/static
	@$(CLEARWAY) manage migrate --no-input -v 0

demo: install
	@$(CLEARWAY) demo

run: demo
	@$(CLEARWAY) serve --host $(HOST) --port $(PORT)

serve: install
	@$(CLEARWAY) serve --host $(HOST) --port $(PORT)

# --- checks ---------------------------------------------------------------------------------
test: $(VENV)/.installed $(STATIC)/.built
	@mkdir -p var/static
	@$(MAKE) --no-print-directory lint types migrations-check test-fast test-browser
	@echo "All checks passed."

lint:
	@echo "== ruff (lint and format) =="
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types:
	@echo "== mypy =="
	$(BIN)/mypy clearway tests bench

migrations-check:
	@echo "== migrations up to date =="
	CLEARWAY_ENV=test $(CLEARWAY) manage makemigrations --check --dry-run

test-fast:
	@echo "== fast tests =="
	$(BIN)/pytest -m "not browser" -q

test-browser:
	@echo "== browser tests (Chromium) =="
	@if [ -x "$${CHROMIUM:-/usr/bin/chromium}" ]; then \
	  $(BIN)/pytest -m browser -q; \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "FAIL: Chromium is missing, and CI must run the browser tests. Install it: apt-get install chromium"; exit 1; \
	else \
	  echo ""; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo "!! SKIPPED the browser tests: Chromium is not installed at /usr/bin/chromium.        !!"; \
	  echo "!! Install it with 'sudo apt-get install chromium' (or set CHROMIUM=/path/to/it).   !!"; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	fi

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules build var .env .mypy_cache .ruff_cache .pytest_cache
