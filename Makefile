# Everything sets itself up: a .venv is created on first use and the package installed into it, every
# dependency at the version and hash the lock files pin (uv installs them, much faster than pip), and the
# package built with the build backend the bootstrap lock pins (no unpinned download to build it). Nothing is
# installed outside the worktree's .venv and the user's cache dir (scripts/uv.sh).
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

.PHONY: demo test lint typecheck warm warm-unit unit bench soak schema clean lock

# A venv without pip (uv installs everything, so ensurepip would only cost time), then a uv at the locked
# version (scripts/uv.sh), which installs itself, the build backend and the runtime lock, then the package.
# Bytecode is compiled at install because where PYTHONDONTWRITEBYTECODE is set Python never writes it, and
# every `reconciler` command would compile its imports again.
$(RUNTIME): pyproject.toml requirements.lock requirements-bootstrap.lock scripts/uv.sh
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	uv=$$(bash scripts/uv.sh $(PYTHON)) && "$$uv" pip install --python $(BIN)/python --quiet --require-hashes \
		--compile-bytecode -r requirements-bootstrap.lock -r requirements.lock
	$(UV_INSTALL) --no-deps --no-build-isolation -e .
	$(BIN)/python -m compileall -q -j0 reconciler
	touch $(RUNTIME)

# The test tools' bytecode is left to Python: the test processes are few and long-lived, so compiling it
# at install does not pay for itself (bench/results.md, "Build and test set-up").
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

# Lint and types beside the tests, not before them: mypy keeps one core busy for 15 s, which the test workers
# share instead of waiting for it (the serial head was 16-22 s of a 2-core run: bench/results.md, "The test
# suite"). The tests start once the warm-up collection (`warm`, below) is done. A lint or type error still
# fails `make test`, when the tests are done.
test: $(STAMP)
	@$(MAKE) --no-print-directory -j3 lint typecheck warm-unit

warm-unit: warm
	@$(MAKE) --no-print-directory unit

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: $(STAMP)
	$(BIN)/mypy --strict reconciler tests  # tests/ with relaxed settings: pyproject.toml

# Two pytest-xdist workers a core: part of the suite waits (a watch interval, retry back-off, a subprocess,
# a pty), and a waiting worker leaves its core to another (the measured choice is in bench/results.md; 3
# workers saved no CPU and lost wall). Each worker forks the suite's `reconciler` processes from a zygote of
# its own (tests/support/forkserver.py) rather than paying Python's start-up for each.
# --dist loadgroup hands out the tests one by one in collection order, the long ones first
# (tests/conftest.py), so they overlap the short ones. Override: PYTEST_WORKERS=3.
PYTEST_WORKERS ?= $(shell echo $$(( $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2) * 2 )))

# A test target changes nothing outside the worktree: the status page's browser test needs Chromium, which
# CI's .ci/run installs; elsewhere that test is skipped and says how to get it.
unit: $(STAMP)
	$(TEST_ENV) $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

# pytest rewrites each test module's asserts and caches the result as bytecode, unless PYTHONDONTWRITEBYTECODE
# is set (as on this machine): then every worker rewrites all of them again, about 7 s of CPU each. The
# tests run with it unset (the bytecode stays in the worktree's __pycache__, which git ignores), and `warm`
# collects once, beside mypy, so that the workers of a fresh clone find the modules rewritten. A collection
# error is not hidden: `unit` reports it.
TEST_ENV := env -u PYTHONDONTWRITEBYTECODE
warm: $(STAMP)
	@$(TEST_ENV) $(BIN)/pytest -q --collect-only -p no:xdist -p no:cacheprovider >/dev/null 2>&1 || true

# Every row of issues 18 and 29's performance tables in one run, each plan and apply beside the bare client,
# and the scaling table, written into bench/results.md (never asserts on time). BENCH_ARGS=--skip-clone
# leaves out make test / make demo on a clean clone; BENCH_ARGS='--only plans --quick' runs one part.
bench: $(STAMP)
	cd bench && ../$(BIN)/python run.py --write $(BENCH_ARGS)

# The long reliability runs, then every property test at its thorough count (`make test` draws a third of
# it: tests/support/properties.py).
soak: $(STAMP)
	$(BIN)/pytest -m soak -s tests/reliability tests/watch
	RECONCILER_PROPERTIES=thorough $(TEST_ENV) $(BIN)/pytest -n $(PYTEST_WORKERS) -m hypothesis tests

schema: $(STAMP)
	$(BIN)/reconciler schema > schema/reconciler.schema.json
	$(BIN)/reconciler schema --plan > schema/plan.schema.json

clean:
	rm -rf $(VENV) .reconciler .pytest_cache .mypy_cache .ruff_cache
