# Practice portal: make run (demo county on http://127.0.0.1:8000), make test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist): one per CPU; each has its own test database.
TEST_JOBS ?= auto

.PHONY: venv run serve migrate seed test lint typecheck messages worker beat lock smoke clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

serve: venv
	$(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(VENV)/bin/pytest -n $(TEST_JOBS) --dist loadfile $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy apps practice_portal

messages: venv
	$(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv
	$(PY) manage.py compilemessages -l en --ignore=.venv

worker: venv
	$(VENV)/bin/celery -A practice_portal worker -l info

beat: venv
	$(VENV)/bin/celery -A practice_portal beat -l info

# The image's dependencies, pinned with hashes (README: The lock file).
lock: venv
	$(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url \
	  --no-emit-find-links $(PIP_COMPILE_ARGS) --output-file requirements/prod.txt pyproject.toml

# docker-compose.yml's stack run natively behind nginx (README: The production smoke test).
smoke: venv
	$(PY) deploy/smoke/run_stack.py

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache
