# Everything sets itself up: a .venv is created on first use and the package installed into it, every
# dependency at the version and hash the lock files pin (uv installs them: seconds, where pip takes 30), and
# the package built with the build backend the bootstrap lock pins (no unpinned download to build it).
# `make demo` installs what reconciler runs with (requirements.lock); the other targets add the test tools
# (requirements-dev.lock) on top of the same .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
LINT_PATHS := reconciler tests $(wildcard bench)
UV := $(BIN)/uv
UV_INSTALL = $(UV) pip install --python $(BIN)/python --quiet
LOCK_FLAGS := --generate-hashes --universal --python-version 3.11 --quiet

.PHONY: demo test lint typecheck unit bench soak schema clean lock browser

# A venv without pip (ensurepip takes 5 s; uv installs everything), then a uv at the locked version
# (scripts/uv.sh), which installs itself, the build backend and the runtime lock, then the package.
# Bytecode is compiled at install (as pip does; uv does not unless asked): where PYTHONDONTWRITEBYTECODE is
# set, as on this project's machines, Python never writes it, so without this every `reconciler` command
# compiled its imports again, about 1 s of CPU each.
$(RUNTIME): pyproject.toml requirements.lock requirements-bootstrap.lock scripts/uv.sh
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	uv=$$(bash scripts/uv.sh $(PYTHON)) && "$$uv" pip install --python $(BIN)/python --quiet --require-hashes \
		--compile-bytecode -r requirements-bootstrap.lock -r requirements.lock
	$(UV_INSTALL) --no-deps --no-build-isolation -e .
	$(BIN)/python -m compileall -q -j0 reconciler
	touch $(RUNTIME)

# The test tools' bytecode is left to Python: compiling it too (6 s of CPU) made `make unit` no faster
# (256 s without, 288 s with, on a loaded machine): its processes are few and long-lived.
$(STAMP): $(RUNTIME) requirements-dev.lock
	$(UV_INSTALL) --require-hashes -r requirements-dev.lock
	touch $(STAMP)

# After a change to pyproject.toml's dependencies (or to take newer releases): rewrite the lock files.
lock: $(STAMP)
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o requirements-dev.lock
	printf 'uv==%s\nsetuptools>=68\nwheel\n' "$$($(UV) --version | cut -d' ' -f2)" | \
		$(UV) pip compile - $(LOCK_FLAGS) -o requirements-bootstrap.lock

demo: $(RUNTIME)
	@bash scripts/demo.sh

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: $(STAMP)
	$(BIN)/mypy --strict reconciler tests  # tests/ with relaxed settings: pyproject.toml

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

# Every row of issue 18's performance table in one run, written into bench/results.md and the README (never
# asserts on time). BENCH_ARGS=--skip-clone leaves out make test / make demo on a clean clone.
bench: $(STAMP)
	cd bench && ../$(BIN)/python run.py --write $(BENCH_ARGS)

soak: $(STAMP)
	$(BIN)/pytest -m soak -s tests/reliability tests/watch

schema: $(STAMP)
	$(BIN)/reconciler schema > schema/reconciler.schema.json
	$(BIN)/reconciler schema --plan > schema/plan.schema.json

clean:
	rm -rf $(VENV) .reconciler .pytest_cache .mypy_cache .ruff_cache
