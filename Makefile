# Everything sets itself up: a .venv is created on first use and the package installed into it, every
# dependency at the version and hash the lock files pin (uv installs them: seconds, where pip takes 30), and
# the package built with the build backend the bootstrap lock pins (no unpinned download to build it).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_PATHS := reconciler tests $(wildcard bench)
UV := $(BIN)/uv
LOCK_FLAGS := --generate-hashes --universal --python-version 3.11 --quiet

.PHONY: demo test lint typecheck unit bench soak schema clean lock browser

$(STAMP): pyproject.toml requirements-dev.lock requirements-bootstrap.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-bootstrap.lock
	$(UV) pip install --python $(BIN)/python --quiet --require-hashes -r requirements-dev.lock
	$(UV) pip install --python $(BIN)/python --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# After a change to pyproject.toml's dependencies (or to take newer releases): rewrite the lock files.
lock: $(STAMP)
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o requirements-dev.lock
	printf 'uv==%s\nsetuptools>=68\nwheel\n' "$$($(UV) --version | cut -d' ' -f2)" | \
		$(UV) pip compile - $(LOCK_FLAGS) -o requirements-bootstrap.lock

demo: $(STAMP)
	@bash scripts/demo.sh

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: $(STAMP)
	$(BIN)/mypy --strict reconciler

# Two pytest-xdist workers a core: part of the suite waits (a watch interval, retry back-off, a subprocess,
# a pty), and a waiting worker leaves its core to another. --dist loadgroup hands out the tests one by one in
# collection order, the long ones first (tests/conftest.py), so they overlap the short ones. On 2 cores: 4
# workers 52 s, 3 workers 59 s, 2 workers 78 s, 6 workers 58 s (and more CPU). Override: PYTEST_WORKERS=3.
PYTEST_WORKERS ?= $(shell echo $$(( $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2) * 2 )))

unit: $(STAMP) browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

# `watch`'s status page is tested in a real browser: Debian's chromium, installed when missing (CI runs as
# root; elsewhere the test is skipped with a message, and fails under CI=true).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium is missing and could not be installed: the status-page browser test will be skipped"

# Benchmarks print figures (bench/results.md records them); they never assert on time.
bench: $(STAMP)
	cd bench && ../$(BIN)/python plan_scale.py && ../$(BIN)/python apply_scale.py && ../$(BIN)/python cpu.py

soak: $(STAMP)
	$(BIN)/pytest -m soak -s tests/reliability tests/watch

schema: $(STAMP)
	$(BIN)/reconciler schema > schema/reconciler.schema.json
	$(BIN)/reconciler schema --plan > schema/plan.schema.json

clean:
	rm -rf $(VENV) .reconciler .pytest_cache .mypy_cache .ruff_cache
