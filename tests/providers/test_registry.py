"""The in-memory provider (tests/support/memory.py), registered through the registry's public API, goes through
the CLI end to end (validate, plan, apply, re-plan, a saved plan, a bug's crash log) with no edit to any
shared module. Its "vendor" is a dict in memory; its token is the canary secret."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.providers import registry
from tests.support.e2e import CANARY_SECRET, Result, run_cli
from tests.support.memory import CALLS, STORES, registered, write


@pytest.fixture(autouse=True)
def memory_provider(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("RECONCILER_CRASH_LOG", str(tmp_path / "crash.log"))
    with registered():
        yield


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return run_cli(monkeypatch, capsys, {"MEMORY_TOKEN": CANARY_SECRET}, *args)


def test_validate_plan_apply_replan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    STORES["shop"] = {"door": "red"}
    config = str(write(tmp_path, "  - {name: door, color: blue}\n  - {name: hinge, color: black}\n"))

    valid = cli(monkeypatch, capsys, "validate", config)
    assert valid.code == 0 and "1 file valid: 1 account(s)" in valid.out and "2 widget(s)" in valid.out

    planned = cli(monkeypatch, capsys, "plan", config, "--detailed-exitcode")
    assert planned.code == 2, planned.all
    assert f"memory store shop ({config}):" in planned.out
    assert "~ widget door: paint red -> blue" in planned.out
    assert "+ widget hinge (black)" in planned.out
    assert "Plan: 1 to add, 1 to change, 0 to remove." in planned.out

    as_json = json.loads(cli(monkeypatch, capsys, "plan", config, "--format", "json").out)
    [account] = as_json["accounts"]
    assert (account["provider"], account["account"]) == ("memory", "shop")
    assert [c["kind"] for c in account["changes"]] == ["widget_paint", "widget_create"]
    assert (
        "| `+` | `widget hinge` | `(black)` |"
        in cli(monkeypatch, capsys, "plan", config, "--format", "markdown").out
    )

    applied = cli(monkeypatch, capsys, "apply", config, "--auto-approve")
    assert applied.code == 0, applied.all
    assert "Apply complete: 2 applied, 0 failed, 0 skipped." in applied.out
    assert STORES["shop"] == {"door": "blue", "hinge": "black"}

    again = cli(monkeypatch, capsys, "plan", config, "--detailed-exitcode")
    assert again.code == 0 and "No changes." in again.out


def test_saved_plan_is_applied_and_goes_stale(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    STORES["shop"] = {"door": "red"}
    config = str(write(tmp_path, "  - {name: door, color: blue}\n"))
    saved = str(tmp_path / "plan.json")
    assert cli(monkeypatch, capsys, "plan", config, "--out", saved).code == 0
    STORES["shop"]["door"] = "green"  # someone repaints it by hand after the review
    stale = cli(monkeypatch, capsys, "apply", config, "--auto-approve", "--plan", saved)
    assert stale.code == 1 and "stale plan" in stale.err and "widget door" in stale.err
    assert not [c for c in CALLS if c[0] == "execute"]
    STORES["shop"]["door"] = "red"
    applied = cli(monkeypatch, capsys, "apply", config, "--auto-approve", "--plan", saved)
    assert applied.code == 0 and STORES["shop"] == {"door": "blue"}


def test_its_declarations_drive_validation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dup = write(tmp_path, "  - {name: door, color: blue}\n  - {name: door, color: red}\n", "dup.yaml")
    literal = tmp_path / "literal.yaml"
    literal.write_text("version: 1\nprovider: memory\nstore: other\ntoken: hunter22\n")
    typo = tmp_path / "typo.yaml"
    typo.write_text("version: 1\nprovider: memroy\nstore: x\n")
    result = cli(monkeypatch, capsys, "validate", str(dup), str(literal), str(typo))
    assert result.code == 1
    assert f"{dup}:6:12: duplicate widget name 'door': declared at lines 5 and 6; keep one" in result.err
    assert f"{literal}:4:8: token holds a literal value" in result.err and "${MEMORY_TOKEN}" in result.err
    assert "hunter22" not in result.all
    assert "unknown provider 'memroy'" in result.err and "did you mean 'memory'?" in result.err
    assert "memory" in json.loads(cli(monkeypatch, capsys, "schema").out)["discriminator"]["mapping"]


def test_failures_are_reported_and_a_bug_goes_to_the_crash_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(write(tmp_path, "  - {name: door, color: refuse}\n  - {name: hinge, color: black}\n"))
    failed = cli(monkeypatch, capsys, "apply", config, "--auto-approve")
    assert failed.code == 1
    assert "Apply complete: 1 applied, 1 failed, 0 skipped." in failed.out
    assert "failed: widget door" in failed.err
    assert "PUT /widgets/door -> 422: the vendor refuses this colour" in failed.err

    crash = str(write(tmp_path, "  - {name: lid, color: explode}\n", "crash.yaml"))
    for flag in ("-v", "--verbose", None):
        capsys.readouterr()
        code = run(["apply", crash, "--auto-approve", *([flag] if flag else [])])
        err = capsys.readouterr().err
        assert code == 3 and CANARY_SECRET not in err
        assert f"The traceback is in {tmp_path / 'crash.log'}" in err
        assert "attach it to a bug report at https://github.com/reconciler/reconciler/issues" in err
        assert ("RuntimeError: a bug that quotes the token ***" in err) is (flag is not None)
    text = (tmp_path / "crash.log").read_text()
    assert text.count("RuntimeError: a bug that quotes the token ***") == 3 and CANARY_SECRET not in text


def test_unregistered_it_is_unknown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(write(tmp_path, "  - {name: door, color: blue}\n"))
    registry.unregister("memory")
    result = cli(monkeypatch, capsys, "validate", config)
    assert (
        result.code == 1
        and f"unknown provider 'memory': expected one of {', '.join(registry.names())}" in result.err
    )


def test_importing_the_core_loads_no_io_library() -> None:
    code = (
        "import sys, reconciler.core.changes, reconciler.core.plan, reconciler.core.saved, "
        "reconciler.core.schedule, reconciler.core.state\n"
        "heavy = ('httpx', 'ruamel', 'click', 'starlette', 'uvicorn')\n"
        # httpx._main is reconciler's stub of httpx's command line (see reconciler/__init__.py), not httpx
        "print(sorted({m.split('.')[0] for m in sys.modules if m != 'httpx._main'} & set(heavy)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
