"""Help texts a new user reads first name what exists today (issue 31)."""

from __future__ import annotations

import pytest

from reconciler.cli import run


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert run([*args, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())  # click wraps: compare the words


def test_apply_force_names_the_rails_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys, "apply")
    assert "max_delete_fraction" not in text
    assert "max_access_loss_fraction, max_pause_fraction; never min_admins" in text


def test_plan_help_lists_the_api2_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert "ABTASTY_API2_URL" in _help(capsys, "plan")
