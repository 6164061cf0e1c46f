# The front door: `make run` (demo on SQLite) and `make test` (SQLite and PostgreSQL).
VENV ?= .venv
PYTHON ?= python3
FLASK = $(VENV)/bin/flask --app wsgi

.PHONY: install system-deps system-deps-run run test test-fast lint security bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Debian packages, installed when missing (as root; otherwise it prints the command): see the script.
system-deps:
	scripts/system-deps.sh test

system-deps-run:
	scripts/system-deps.sh run

# `PORT=5077 make run`: printed links and alert addresses use that port too, unless PUBLIC_BASE_URL is set
# (in the environment or in .env, which wins).
ifneq ($(PORT),)
ifeq ($(PUBLIC_BASE_URL),)
ifeq ($(shell grep -s '^PUBLIC_BASE_URL=' .env),)
export PUBLIC_BASE_URL := http://127.0.0.1:$(PORT)
endif
endif
endif

run: system-deps-run install
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	$(FLASK) demo simulate --if-demo
	scripts/run-dev.sh

test: system-deps install
	scripts/test.sh

test-fast: install
	$(VENV)/bin/python -m pytest tests/unit -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy app/domain --follow-imports=silent

security: install
	scripts/security-check.sh

bench: install
	$(VENV)/bin/python bench/intake_import.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
