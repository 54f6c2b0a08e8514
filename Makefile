# Everything sets itself up: a .venv is created on first use and the package installed into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_PATHS := reconciler tests $(wildcard bench)

.PHONY: demo test lint typecheck unit bench soak schema clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@bash scripts/demo.sh

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: $(STAMP)
	$(BIN)/mypy --strict reconciler

unit: $(STAMP)
	$(BIN)/pytest

# Benchmarks print figures (bench/results.md records them); they never assert on time.
bench: $(STAMP)
	cd bench && ../$(BIN)/python plan_scale.py && ../$(BIN)/python apply_scale.py && ../$(BIN)/python cpu.py

soak: $(STAMP)
	$(BIN)/pytest -m soak -s tests/reliability

schema: $(STAMP)
	$(BIN)/reconciler schema > schema/reconciler.schema.json

clean:
	rm -rf $(VENV) .reconciler .pytest_cache .mypy_cache .ruff_cache
