# Countersign: `make run` serves a demo portal; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/countersign
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# Demo mode for `make run`: embedded SQLite and in-process tasks unless the caller sets them.
RUN_ENV := DEBUG=true PORTAL_SECURE_COOKIES=false

.PHONY: install install-dev run run-full test faults lint audit bench backup restore clean

$(VENV)/.installed: requirements/base.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/base.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements/dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# PostgreSQL + Redis + a Celery worker + beat + the web server, for a real trial.
run-full: install
	@test -n "$$DATABASE_URL" || { echo "Set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/countersign)"; exit 2; }
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0)"; exit 2; }
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) bash -c 'trap "kill 0" EXIT; \
	  $(VENV)/bin/celery -A portal worker --loglevel=INFO --concurrency=2 & \
	  $(VENV)/bin/celery -A portal beat --loglevel=INFO --schedule=var/celerybeat-schedule & \
	  $(PY) manage.py runserver 127.0.0.1:$(PORT) --noreload'

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=false SECRET_KEY=test-only-not-secret \
	  PORTAL_DATA_DIR=$(CURDIR)/var/test DJANGO_ALLOW_ASYNC_UNSAFE=true \
	  $(PY) -m pytest $(PYTEST_ARGS)

# The fault suite at the issue's sizes (1,000 deliveries, 5,000 changes among 50 seniors, 500 changes moving): stops
# Redis, kills workers, ends database sessions, takes hosts down, and prints a table of what was lost (nothing).
# `make test` runs the same scenarios bounded. Needs redis-server on the PATH (it starts and stops its own).
faults: install-dev
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=false SECRET_KEY=test-only-not-secret \
	  PORTAL_DATA_DIR=$(CURDIR)/var/test DJANGO_ALLOW_ASYNC_UNSAFE=true FAULTS_SCALE=full \
	  $(PY) -m pytest tests/faults -q $(PYTEST_ARGS)

# Known vulnerabilities in the pinned dependencies. Needs network (it asks PyPI's advisory data), so it is not
# part of `make test`; the lock files are fully pinned, hence no resolving (--no-deps --disable-pip).
audit: install-dev
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'pip-audit>=2.7,<3'
	$(VENV)/bin/pip-audit --strict --no-deps --disable-pip -r requirements/base.txt -r requirements/dev.txt

# Prints throughput and latency figures with ratios; needs PostgreSQL and Redis (see README).
bench: install-dev
	$(PY) bench/run.py

# pg_dump -Fc of DATABASE_URL into var/backups/ (or BACKUP=file); `make restore BACKUP=file` loads one into an empty
# DATABASE_URL (RESTORE_ARGS=--clean to replace a non-empty one), then verify: `manage.py verify_ledger`.
backup: install
	@test -n "$$DATABASE_URL" || { echo "Set DATABASE_URL (the PostgreSQL database to back up)"; exit 2; }
	$(PY) scripts/pgbackup.py backup $(if $(BACKUP),--out "$(BACKUP)")

restore: install
	@test -n "$$DATABASE_URL" || { echo "Set DATABASE_URL (the database to restore into)"; exit 2; }
	@test -n "$(BACKUP)" || { echo "Set BACKUP=path/to/file.dump"; exit 2; }
	$(PY) scripts/pgbackup.py restore "$(BACKUP)" $(RESTORE_ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
