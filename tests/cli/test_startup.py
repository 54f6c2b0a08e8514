"""Start-up: each command imports what it needs and nothing more (issue 18: every command pays for its
imports before it does anything, and a CI job runs several). A fresh interpreter per case, since what counts
is what a new process loads; the figures themselves are `make bench`'s, never asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from reconciler.cli import COMMANDS, cli
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import server_env

# The libraries a command must not load unless it uses them: the config's, the client's, and the rest.
CONFIG_LIBRARIES = {"pydantic", "ruamel"}
CLIENT_LIBRARIES = {"httpx", "asyncio", "ssl"}
HEAVY = CONFIG_LIBRARIES | CLIENT_LIBRARIES | {"rich", "pygments", "starlette", "uvicorn", "deepdiff"}
CONFIG = (
    "version: 1\nprovider: abtasty\naccount:\n  id: 41902\n  credentials:\n"
    "    client_id: ${ABTASTY_CLIENT_ID}\n    client_secret: ${ABTASTY_CLIENT_SECRET}\n"
    "tests:\n  - id: 367659\n    state: play\n    mode: prod\n"
)
# Runs the CLI in a new interpreter, then writes its exit code and every module it holds to argv[1].
PROBE = (
    "import sys, json\nfrom reconciler.cli import run\ncode = run(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(json.dumps({'code': code, 'modules': sorted(sys.modules)}))"
)


def loaded_by(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> set[str]:
    """The top-level packages, and the reconciler modules, a new interpreter holds after ``reconciler ARGS``."""
    report = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        check=True,
    )
    result = json.loads(report.read_text())
    assert result["code"] == 0, args
    modules = set(result["modules"]) - {"httpx._main"}  # a stub, put there by reconciler itself
    return {m.split(".")[0] for m in modules} | {m for m in modules if m.startswith("reconciler.")}


def test_help_and_version_load_no_library_but_click(tmp_path: Path) -> None:
    for args in (["--help"], ["--version"]):
        loaded = loaded_by(tmp_path, *args)
        assert loaded & HEAVY == set(), args
        assert not any(m.startswith(("reconciler.providers", "reconciler.config")) for m in loaded), args
        assert "reconciler.redaction" not in loaded, args  # the error handler loads it on the first error


def test_validate_loads_the_named_provider_and_no_network_library(tmp_path: Path) -> None:
    config = tmp_path / "shop.yaml"
    config.write_text(CONFIG)
    loaded = loaded_by(tmp_path, "validate", str(config))
    assert loaded & HEAVY == CONFIG_LIBRARIES
    assert "reconciler.providers.abtasty.config" in loaded
    assert not any(m.startswith("reconciler.providers.taplytics") for m in loaded)


def test_plan_loads_neither_the_server_side_nor_the_other_provider(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    config = tmp_path / "shop.yaml"
    config.write_text(CONFIG)
    loaded = loaded_by(tmp_path, "plan", str(config), env=server_env(sandbox))
    # Output is not a terminal: no progress display, so no rich; no watch, no sandbox, no saved-plan diffing.
    assert loaded & HEAVY == CONFIG_LIBRARIES | CLIENT_LIBRARIES
    assert not any(m.startswith(("reconciler.providers.taplytics", "reconciler.sandbox")) for m in loaded)


def test_the_command_table_holds_each_commands_own_first_sentence() -> None:
    """``--help`` lists commands from the table without importing them: the table must not drift."""
    context = click.Context(cli)
    for name, (_, _, sentence) in COMMANDS.items():
        command = cli.get_command(context, name)
        assert command is not None and command.get_short_help_str(limit=1000) == sentence, name
