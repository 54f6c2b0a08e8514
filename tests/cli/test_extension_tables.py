"""The extension points are tables: one entry adds an output format (to plan and show at once) or a
notifier scheme; commands raise ``Exit`` and the one error handler turns it into the exit code."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest

from reconciler.cli.errors import EXIT_CHANGES, Exit, handle
from reconciler.cli.plan import plan
from reconciler.cli.show import show
from reconciler.render import FORMATS
from reconciler.watch import notify
from reconciler.watch.delivery import Delivery

CLI = Path(__file__).resolve().parents[2] / "reconciler" / "cli"


def _format_option(command: click.Command) -> click.Option:
    [option] = [p for p in command.params if isinstance(p, click.Option) and p.name == "fmt"]
    return option


def test_plan_and_show_offer_the_format_table() -> None:
    for command in (plan, show):
        option = _format_option(command)
        assert isinstance(option.type, click.Choice)
        assert list(option.type.choices) == list(FORMATS)
        assert all(f"{name}: {fmt.help}" in (option.help or "") for name, fmt in FORMATS.items())


def test_commands_raise_and_the_handler_exits() -> None:
    assert handle(Exit(EXIT_CHANGES), verbose=False) == EXIT_CHANGES
    for module in CLI.glob("*.py"):
        tree = ast.parse(module.read_text())
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr == "exit"
            and getattr(node.value, "id", "") == "sys"
        ]
        # The console entry point is the one place the process exits.
        assert len(calls) == (1 if module.name == "__init__.py" else 0), module.name


def test_a_notifier_scheme_is_one_table_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    def discord(delivery: Delivery) -> dict[str, object]:
        return {"content": delivery.event.headline()}

    monkeypatch.setitem(notify.SCHEMES, "discord", discord)
    target = notify.Target.parse("discord+https://discord.example.com/api/webhooks/x")
    assert target.scheme == "discord" and target.url.host == "discord.example.com"
    # A "+" that names no scheme stays part of a plain URL.
    assert notify.Target.parse("http://127.0.0.1:9/a+b").scheme == ""
