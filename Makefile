# Union Hall: `make run` to try it, `make test` to prove it. See README.md.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench lint format migrations-check clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

# The quickstart always uses the embedded SQLite file, never a DATABASE_URL from the shell:
# it seeds demo logins with published passwords.
# A worker (background jobs) and the scheduler run beside the dev server, and stop with it;
# each is started again if it ever stops (as a process supervisor does in production).
run: $(VENV)/.run-installed
	DEBUG=1 DATABASE_URL= $(PY) manage.py migrate --no-input
	DEBUG=1 DATABASE_URL= $(PY) manage.py seed_demo
	@trap 'kill 0' EXIT INT TERM; \
	while :; do DEBUG=1 DATABASE_URL= $(PY) manage.py jobs_worker --interval 1; sleep 2; done & \
	while :; do DEBUG=1 DATABASE_URL= $(PY) manage.py jobs_scheduler; sleep 2; done & \
	DEBUG=1 DATABASE_URL= $(PY) manage.py runserver 127.0.0.1:8000

test: $(VENV)/.dev-installed
	scripts/ensure-chromium
	scripts/test

# The scale bench (not part of `make test`): a local of 100,000 members on the PostgreSQL at
# BENCH_DATABASE_URL (never DATABASE_URL: `make bench BENCH_DATABASE_URL=postgres://...`), a
# scratch database dropped and made again, each workload beside its floor; the demo hall's
# rows seed their own beside it (named as it is, with _hall_demo). The name must mark it
# scratch (bench, scratch, smoke, or test_...), or the bench refuses (bench/scratch.py).
# Then 4,000 web bids in the bidding window's first minute through gunicorn (bench/bids_load.py),
# on a scratch database of their own.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/unionhall_bench
BENCH_BIDS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/unionhall_bids_bench
bench: $(VENV)/.dev-installed
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench --members 100000
	DATABASE_URL=$(BENCH_BIDS_DATABASE_URL) $(PY) -m bench.bids_load

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: $(VENV)/.run-installed
	DEBUG=1 DATABASE_URL= $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache .ruff_cache
