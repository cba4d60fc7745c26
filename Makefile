# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: run test install install-test lint translations bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Front-end packages (bpmn-js viewer) come from the npm registry, never committed.
$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --silent
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

# Debian packages the tests drive for real: Chromium (browser tests), poppler (pdfsig), NSS certutil (a
# trust store for pdfsig), zbar (reads QR codes back), DejaVu fonts.
install-test: install
	@if ! command -v chromium >/dev/null || ! command -v pdfsig >/dev/null || ! command -v certutil >/dev/null || ! command -v zbarimg >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium poppler-utils fonts-dejavu-core libnss3-tools zbar-tools >/dev/null; \
	fi

run: install
	$(BIN)/carepath run

test: install-test
	# The dependency rules (layers, SpiffWorkflow only in engine.workflow, no import cycles): pyproject.toml.
	$(BIN)/lint-imports
	$(BIN)/pybabel compile -d webui/translations >/dev/null
	$(BIN)/python -m pytest --ignore=tests/e2e
	# Browser tests in their own run: Playwright's sync API keeps an event loop running in the main
	# thread, which would change how Prefect's sync-or-async calls behave in the other tests.
	$(BIN)/python -m pytest tests/e2e

lint: install
	$(BIN)/ruff check engine forms webui integrations reports workflows tests bench tools
	$(BIN)/mypy engine
	$(BIN)/lint-imports

# pybabel extract (babel.cfg: code, templates, and the pathways' forms, BPMN, DMN and model.json through
# forms/babel_extract.py and webui/babel_bpmn.py) + update, merging any ru/*.po.part handed in; then
# lists the msgids still without Russian (the same check as tests/test_translations.py).
translations: install
	$(BIN)/python tools/translations.py update
	-$(BIN)/python tools/translations.py check
	$(BIN)/pybabel compile -d webui/translations >/dev/null

bench: install
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/inbox.py

clean:
	rm -rf $(VENV) node_modules instance
