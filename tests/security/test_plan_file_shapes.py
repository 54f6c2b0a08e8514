"""A plan file is untrusted: whatever JSON a hand edit puts where the format has a mapping, a string or a
number, apply --plan exits 1 naming the field, before any request that changes anything (never exit 3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, mutations, write_config

Edit = Callable[[dict[str, Any]], None]


def _account(doc: dict[str, Any]) -> dict[str, Any]:
    account: dict[str, Any] = doc["accounts"][0]
    return account


EDITS: dict[str, tuple[Edit, str]] = {
    "before-a-list": (
        lambda d: _account(d)["changes"][0].update(before=[1]),
        "change.before is missing or not a mapping",
    ),
    "file-a-list": (
        lambda d: _account(d).update(file=["demo.yaml"]),
        "account.file is missing or not a string",
    ),
    "resource-a-string": (lambda d: _account(d)["changes"][0].update(resource="test:1"), "change.resource"),
    "id-a-boolean": (lambda d: _account(d)["changes"][0]["resource"].update(id=True), "resource id"),
    "superscript-digit": (
        lambda d: _account(d)["fingerprints"].update({"test:²": "x"}),
        "'test:²' cannot be",
    ),
    "changes-null": (lambda d: _account(d).update(changes=None), "account.changes is missing or not a list"),
    "fingerprint-a-number": (
        lambda d: _account(d)["fingerprints"].update({"test:381296": 1}),
        "fingerprints",
    ),
    "safety-a-string": (lambda d: _account(d).update(safety="none"), "safety is not a list of mappings"),
    "account-null": (lambda d: _account(d).update(account=None), "account is not a string or a number"),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_a_malformed_plan_file_is_exit_1_naming_the_field(
    name: str, cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, "tests:\n  - id: 381296\n    state: play\n")
    plan_file = tmp_path / "plan.json"
    assert cli("plan", str(config), "-o", str(plan_file)).code == 0
    doc = json.loads(plan_file.read_text())
    edit, named = EDITS[name]
    edit(doc)
    plan_file.write_text(json.dumps(doc))
    sandbox.clear_requests()
    result = cli("apply", str(config), "--auto-approve", "--plan", str(plan_file))
    assert result.code == 1, result.all
    assert "not a reconciler plan file" in result.err and named in result.err
    assert mutations(sandbox) == []
