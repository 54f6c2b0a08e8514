"""Positions are built from the file's text only when a message needs one (issue 29), and then exact."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.config.windows import windows_report
from reconciler.config.yaml import Document, _build, parse_document
from reconciler.config.yaml_build import Loc, Spot
from reconciler.engine import Session
from reconciler.loading import load_configs
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import server_env, write_config

ROOT = Path(__file__).resolve().parents[2]
SHARED = (
    "version: 1\nprovider: abtasty\naccount:\n  id: 41902\ntests:\n"
    "  - id: 1\n    schedule: &launch {start_at: '2031-01-01T09:00:00', timezone: Europe/Paris}\n"
    "  - id: 2\n    schedule: *launch\n"
    "  - {id: 3, state: play, mode: prod}\n"
)


def test_a_parse_builds_no_positions_and_the_first_question_builds_them_exactly() -> None:
    doc = parse_document(SHARED, "c.yaml")
    assert isinstance(doc, Document) and not doc.positions.built
    assert doc.positions.at(("tests", 1, "schedule", "timezone")) == (
        7,
        SHARED.split("\n")[6].index("Europe") + 1,
    )
    assert doc.positions.built
    assert doc.positions.at(("tests", 1, "schedule")) == (9, 15)  # the alias's own place
    assert doc.positions.at(("tests", 2, "mode")) == (10, 32)
    assert doc.positions.at(("tests", 2, "mode"), key=True) == (10, 26)
    assert doc.positions.at(("tests", 7)) == (6, 3)  # no such entry: the nearest node that exists
    assert doc.positions.at(()) == (1, 1)


def test_the_data_is_the_same_with_and_without_positions() -> None:
    """The builder's two modes must agree on every value, or a message would point at another node."""
    texts = [SHARED, *(p.read_text() for p in sorted((ROOT / "examples").rglob("*.yaml")))]
    for text in texts:
        doc = parse_document(text, "x.yaml")
        if not isinstance(doc, Document):
            continue
        values: dict[Loc, Spot] = {}
        built = _build(text, values, {})
        assert built is not None and built.root == doc.data
        assert doc.positions.values == {**values, (): doc.positions.values[()]}
        assert set(_paths(doc.data, ())) == set(doc.positions.values)  # every node has its place


def _paths(data: Any, loc: Loc) -> Iterator[Loc]:
    yield loc
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield from _paths(value, (*loc, key))


def test_a_valid_plan_never_builds_the_positions(sandbox: SandboxServer, tmp_path: Path) -> None:
    """Over real HTTP: a test by id and one by name; nothing to complain about, so no FILE:LINE."""
    body = "tests:\n  - id: 365111\n    state: play\n  - name: Summer sale\n    state: pause\n"
    env = server_env(sandbox)
    configs = load_configs([str(write_config(tmp_path, body))], env=env)
    plans = asyncio.run(Session(configs, env).plan())
    assert plans[0].path == configs[0].path
    assert not configs[0].positions.built
    assert configs[0].where(("tests", 1, "name")) == f"{configs[0].path}:8"


def test_a_window_finds_its_line_only_when_a_message_shows_it(tmp_path: Path) -> None:
    window = (
        "sync_windows:\n  - name: new-year\n    kind: deny\n    schedule: '0 0 1 1 *'\n"
        "    duration: 1h\n    timezone: UTC\n"
    )
    [loaded] = load_configs([str(write_config(tmp_path, window))])
    assert windows_report([loaded], [], dt.datetime(2031, 6, 1, tzinfo=dt.UTC)) == []
    assert not loaded.positions.built  # a plan outside the window: no FILE:LINE, no positions
    [line] = windows_report([loaded], [], dt.datetime(2031, 1, 1, 0, 30, tzinfo=dt.UTC))
    assert f"deny window 'new-year' ({loaded.path}:6) in force until " in line
