# Huifang: `make run` serves the app with demo data, `make test` runs the suite.
# Both create the virtual environment themselves from the pinned lock file.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
export HUIFANG_DATA_DIR ?= $(CURDIR)/var

.PHONY: help install run serve migrate demo test test-pg lint format lock vendor messages clean bench

help:
	@echo "make run      serve http://127.0.0.1:8000 on SQLite with demo data"
	@echo "make test     run the test suite (SQLite; HUIFANG_DATABASE_URL for PostgreSQL)"
	@echo "make test-pg  run the test suite on the local PostgreSQL"
	@echo "make lint     ruff (lint + format check), mypy, import-linter"
	@echo "make lock     re-pin dependencies into requirements.lock"
	@echo "make vendor   refresh static/vendor from pinned npm versions"
	@echo "make messages refresh and compile the translation catalogues"
	@echo "make bench    load benchmark, small vs enterprise data (PostgreSQL; ~12 min)"

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

migrate: install
	@mkdir -p "$(HUIFANG_DATA_DIR)"
	$(BIN)/huifang migrate --noinput -v 0

demo: migrate
	$(BIN)/huifang demo

run: demo
	$(BIN)/huifang collectstatic --noinput -v 0
	@echo ""
	@echo "Huifang is starting on http://127.0.0.1:8000/"
	@echo "Demo users: admin, quality, pm1, pm2, member1, member2, exec"
	@echo "Password:   $${HUIFANG_DEMO_PASSWORD:-huifang-demo}"
	@echo ""
	$(BIN)/huifang serve

test: install
	@mkdir -p "$(HUIFANG_DATA_DIR)"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-pg: install
	HUIFANG_DATABASE_URL=$${HUIFANG_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/huifang} \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

vendor:
	bash scripts/vendor.sh

messages: install
	bash scripts/messages.sh

# Not part of `make test`: seeds two PostgreSQL databases (HUIFANG_BENCH_DATABASE_URL,
# default the local server), serves the app and writes bench/RESULTS.md.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
