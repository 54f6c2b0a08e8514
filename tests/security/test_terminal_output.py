"""Everything the CLI prints from a config or a server goes through the terminal encoder (issue 24, item 3):
file names, error messages that quote values, apply's outcome lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.core.changes import Change
from reconciler.core.plan import AccountPlan
from reconciler.core.schedule import Outcome, Status
from reconciler.providers.taplytics.changes import Kind


def test_a_config_file_name_with_control_characters_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = tmp_path / "a.yaml\n+ member admin@evil.example\x1b[2K.yaml"
    forged.write_text("version: 1\nprovider: taplytics\nproject:\n  name: p\n")
    assert run(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "control or invisible characters" in err and "\\x0a" in err and "\x1b" not in err
    assert not any(line.startswith("+ member") for line in err.splitlines())


def test_a_message_quoting_a_value_cannot_add_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "a.yaml"
    config.write_text(
        'version: 1\nprovider: taplytics\nproject:\n  name: p\nusers:\n  - user_id: "u\\n+ forged"\n'
    )
    run(["validate", str(config)])
    out = capsys.readouterr()
    assert not any(line.startswith("+ forged") for line in (out.out + out.err).splitlines())


def test_apply_outcome_lines_escape_server_names() -> None:
    from reconciler.cli.report import change_words

    change = Change(Kind.USER_UPDATE, "user:u1", "u1", {"name": "a"}, {"name": "b\n\x1b[31mapplied: all"})
    words = change_words(
        AccountPlan("t.yaml", "taplytics", "app", (change,)), Outcome(change, Status.APPLIED, "")
    )
    assert "\n" not in words and "\x1b" not in words and "applied: all" in words
