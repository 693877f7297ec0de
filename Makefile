# The two commands: `make run` (the app with demo data, SQLite, tasks in-process) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Demo staff sign in with this two-factor code; allauth accepts it only with DEBUG on.
DEMO_TOTP_CODE ?= 000000

.PHONY: run test install migrate demo worker beat lint format assets check ci clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: migrate, load demo data and serve on http://127.0.0.1:8000 (DEBUG on, development only)
run: install
	@mkdir -p var
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 MFA_TOTP_INSECURE_BYPASS_CODE=$(DEMO_TOTP_CODE) $(BIN)/python manage.py seed_demo
	DJANGO_DEBUG=1 MFA_TOTP_INSECURE_BYPASS_CODE=$(DEMO_TOTP_CODE) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: the whole suite, on DATABASE_URL (SQLite by default)
test: install
	@mkdir -p var
	$(BIN)/python -m pytest $(PYTEST_ARGS)

migrate: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput

demo: migrate
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo

## make worker / make beat: Celery against CELERY_BROKER_URL (or REDIS_URL)
worker: install
	$(BIN)/celery -A config worker --loglevel=info

beat: install
	$(BIN)/celery -A config beat --loglevel=info

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make assets: rebuild GOV.UK Frontend CSS/JS into static/govuk (needs Node; the output is committed)
assets:
	cd frontend && npm ci --no-audit --no-fund && npm run build

ci:
	.ci/run

clean:
	rm -rf $(VENV) var/db.sqlite3* var/staticfiles var/test-private
