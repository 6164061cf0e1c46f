# The front door: `make run` (demo on SQLite) and `make test` (SQLite and PostgreSQL).
VENV ?= .venv
PYTHON ?= python3
FLASK = $(VENV)/bin/flask --app wsgi

.PHONY: install run test test-fast lint security bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	$(FLASK) demo simulate --if-demo
	scripts/run-dev.sh

test: install
	scripts/test.sh

test-fast: install
	$(VENV)/bin/python -m pytest tests/unit -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy app/domain --follow-imports=silent

security: install
	scripts/security-check.sh

bench: install
	$(VENV)/bin/python bench/intake_import.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
