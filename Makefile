# Two commands for a newcomer: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Development server: DEBUG on, SQLite and eager Celery unless DATABASE_URL / REDIS_URL are set;
# links in e-mails point at the address served (unless SITE_URL is set).
DEV_ENV := DEBUG=1 SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}

.PHONY: run test install migrate seed worker beat lint check-deploy bench clean

# Python >= 3.12 (Django 6): python3.13 or python3.12 on PATH, else pyenv's, else python3.
$(PY):
	@set -e; \
	cand=""; \
	for p in python3.13 python3.12 \
	         $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[3-9]*/bin/python 2>/dev/null | sort -rV) \
	         $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python 2>/dev/null | sort -rV) \
	         python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	    cand=$$p; break; fi; \
	done; \
	if [ -z "$$cand" ]; then \
	  echo "No Python 3.12 or newer found. Install Python 3.13 (e.g. 'pyenv install 3.13') and run make again." >&2; \
	  exit 1; fi; \
	echo "Creating $(VENV) with $$($$cand --version) ($$cand)"; \
	$$cand -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(DEV_ENV) $(PY) manage.py seed_demo

# serve_demo: runserver that prints the demo logins last, once it listens (Ctrl+C to stop)
run: seed
	@$(DEV_ENV) $(PY) manage.py serve_demo $(HOST):$(PORT)

# TEST_WORKERS=0 runs in one process (e.g. to debug with pdb).
test: install
	$(VENV)/bin/pytest -n $${TEST_WORKERS:-auto} $(PYTEST_ARGS)

# ruff (lint and format), the layers of DESIGN.md (import-linter), types (mypy, pyproject.toml)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# Celery worker (all queues) and beat against REDIS_URL (production: docker-compose.yml).
worker: install
	$(VENV)/bin/celery -A portal worker -Q default,billing,pdf,partner_center,webhooks --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A portal beat --loglevel=INFO --schedule $(VENV)/celerybeat-schedule

check-deploy: install
	DEBUG=0 SECRET_KEY=$$(openssl rand -hex 32) ALLOWED_HOSTS=portal.example.com \
	  $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .test-media*
