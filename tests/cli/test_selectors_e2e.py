"""Selectors end to end (issue 19): plan and apply over real HTTP against the sandbox, checked from its
request log: a freeze pauses exactly the matching tests, a test created later is caught by the next plan, an
explicit entry wins, conflicting selectors are refused naming both lines, the rails stop a big freeze, and a
plan with selectors costs the filtered reads only."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CliRunner, Result, generated, mutations, run_cli, server_env, write_config

ROOT = Path(__file__).resolve().parents[2]
TESTS = "/api/interface/accounts/41902/tests"
LIST = "/api/core/accounts/41902/tests"
SCRIPT = ("PATCH", "/api/interface/accounts/41902/update_script")

# Folders 1001 and 1002 of the demo account hold 381310 (q1, play), 381311 (pause), 381312 (play),
# 381313 (pause) and 381320 (play): the freeze pauses 381312 and 381320, 381310 keeps playing (q1).
FREEZE = """tests:
  - select: {folder: [1001, 1002], exclude_tag: [q1]}
    state: pause
"""


def pauses(*ids: int) -> list[tuple[str, str]]:
    return [("PATCH", f"{TESTS}/{i}/pause") for i in ids]


def list_reads(server: SandboxServer) -> list[dict[str, Any]]:
    return [r for r in server.requests() if r["method"] == "GET" and r["path"] == LIST]


def add_test(server: SandboxServer, test_id: int, **fields: Any) -> None:
    """A test created in the UI after the config was written."""
    record = {"id": test_id, "name": f"New test {test_id}", "type": "ab", "state": "play", **fields}

    def create() -> None:
        server.sandbox.store.tests[test_id] = record
        server.sandbox.store.touch_test(test_id)

    server._call(create)


def test_freeze_pauses_exactly_the_matching_tests(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FREEZE)
    plan = cli("plan", str(config))
    assert plan.code == 0, plan.all
    via = "(via tests[0] select folder=1001,1002 exclude_tag=q1)"
    assert f'~ test 381312 "Checkout funnel": state play (prod) -> pause {via}' in plan.out
    assert f'~ test 381320 "Heatmap homepage": state play (prod) -> pause {via}' in plan.out
    assert "# tests[0] select folder=1001,1002 exclude_tag=q1: 4 tests matched, 2 change(s)" in plan.out
    sandbox.clear_requests()
    applied = cli("apply", str(config), "--auto-approve")
    assert applied.code == 0, applied.all
    assert Counter(mutations(sandbox)) == Counter([*pauses(381312, 381320), SCRIPT])
    again = cli("plan", str(config), "--detailed-exitcode")
    assert again.code == 0, again.all


def test_a_test_created_later_is_caught_by_the_next_plan(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FREEZE)
    assert cli("apply", str(config), "--auto-approve").code == 0
    add_test(sandbox, 390001, folder=1002)
    add_test(sandbox, 390002, folder=1001, labels=["q1"])  # excluded by its tag
    plan = cli("plan", str(config), "--detailed-exitcode")
    assert plan.code == 2, plan.all
    assert '~ test 390001 "New test 390001": state play (prod) -> pause (via tests[0]' in plan.out
    assert "390002" not in plan.out
    sandbox.clear_requests()
    assert cli("apply", str(config), "--auto-approve").code == 0
    assert Counter(mutations(sandbox)) == Counter([*pauses(390001), SCRIPT])


def test_an_explicit_entry_overrides_its_selector(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    body = FREEZE + "  - id: 381320\n    state: play\n    mode: preprod\n"
    config = write_config(tmp_path, body)
    plan = cli("plan", str(config))
    assert plan.code == 0, plan.all
    assert '~ test 381320 "Heatmap homepage": state play (prod) -> play (preprod)\n' in plan.out
    assert "(1 also listed by id or name, which wins)" in plan.out
    sandbox.clear_requests()
    assert cli("apply", str(config), "--auto-approve").code == 0
    assert Counter(mutations(sandbox)) == Counter(
        [*pauses(381312), ("PATCH", f"{TESTS}/381320/play"), SCRIPT]
    )


def test_conflicting_selectors_are_refused_naming_both_lines(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    body = (
        "tests:\n  - select: {folder: [1002]}\n    state: pause\n"
        "  - select: {type: [multipage]}\n    state: play\n"
    )
    config = write_config(tmp_path, body)
    sandbox.clear_requests()
    result = cli("plan", str(config))
    assert result.code == 1
    # lines 6 and 8 of the file (4 header lines, then `tests:`)
    assert f"{config}:8: tests[1] select type=multipage and tests[0] select folder=1002 (at {config}:6)" in (
        result.err
    )
    assert "test 381313 'Checkout funnel step 2'" in result.err and "(play (prod) vs pause)" in result.err
    assert not mutations(sandbox)
    assert cli("apply", str(config), "--auto-approve").code == 1
    assert not mutations(sandbox)


def test_a_selector_matching_nothing_is_a_warning(cli: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path, "tests:\n  - select: {tag: [black-friday]}\n    state: pause\n")
    plan = cli("plan", str(config), "--format", "markdown")
    assert plan.code == 0, plan.all
    assert "> :warning: `tests[0] select tag=black-friday: matched no test`" in plan.out


def test_saved_plan_with_selectors_applies_and_validates(
    cli: CliRunner, sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FREEZE)
    out = tmp_path / "plan.json"
    assert cli("plan", str(config), "-o", str(out)).code == 0
    document = json.loads(out.read_text())
    jsonschema.validate(document, json.loads((ROOT / "schema" / "plan.schema.json").read_text()))
    account = document["accounts"][0]
    assert {c.get("via") for c in account["changes"]} == {
        "tests[0] select folder=1001,1002 exclude_tag=q1",
        None,
    }
    assert account["notes"][0]["warning"] is False
    shown = cli("show", str(out))
    assert "(via tests[0] select folder=1001,1002 exclude_tag=q1)" in shown.out
    sandbox.clear_requests()
    applied = cli("apply", "--plan", str(out))
    assert applied.code == 0, applied.all
    assert Counter(mutations(sandbox)) == Counter([*pauses(381312, 381320), SCRIPT])


@pytest.fixture
def big(tmp_path: Path) -> Iterator[SandboxServer]:
    """1,000 generated tests (about 300 play), 10 pages of 100."""
    yield from generated(tmp_path, "generated:tests=1000,members=3")


def _runner(server: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> CliRunner:
    for key, value in server_env(server).items():
        monkeypatch.setenv(key, value)

    def invoke(*args: str) -> Result:
        return run_cli(monkeypatch, capsys, {}, *args)

    return invoke


def test_rails_stop_a_selector_that_would_pause_too_much(
    big: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _runner(big, monkeypatch, capsys)
    config = write_config(tmp_path, "tests:\n  - select: {active: true}\n    state: pause\n")
    playing = sum(t["state"] == "play" for t in big.state()["tests"].values())
    plan = run("plan", str(config))
    assert plan.code == 1
    assert f"refusing to stop {playing} of {playing} playing tests of the account" in plan.out + plan.err
    big.clear_requests()
    assert run("apply", str(config), "--auto-approve").code == 1
    assert not mutations(big)


# (selector, how many tests it keeps of 1,000): the request count is one read per page of each answer.
COUNTS = [
    ("{tag: [team-0]}", "filter%5Btag%5D"),
    ("{type: [heatmap], active: true}", "filter%5Btype%5D"),
    ("{all: true}", ""),
]


def test_request_count_is_the_sum_of_the_filtered_reads(
    big: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _runner(big, monkeypatch, capsys)
    tests = big.state()["tests"].values()
    expected_pages = [1, 1, 10]  # team-0 is 29 tests, playing heatmaps fewer, everything 10 pages
    assert sum("team-0" in t.get("labels", ()) for t in tests) <= 100
    figures = []
    for (selector, marker), pages in zip(COUNTS, expected_pages, strict=True):
        config = write_config(tmp_path, f"tests:\n  - select: {selector}\n    state: pause\n")
        big.clear_requests()
        assert run("plan", str(config)).code in (0, 1)
        reads = list_reads(big)
        assert len(reads) == pages and all(marker in r["query"] for r in reads), reads
        figures.append((selector, len(reads), len(big.requests())))
    both = "tests:\n  - select: {tag: [team-0]}\n    state: pause\n  - select: {type: [heatmap], active: true}\n    state: pause\n"
    config = write_config(tmp_path, both)
    big.clear_requests()
    assert run("plan", str(config)).code in (0, 1)
    assert len(list_reads(big)) == 2
    figures.append(("both", len(list_reads(big)), len(big.requests())))
    print("\nselector plan figures (selector, list reads, all requests incl. token):", figures)


@pytest.mark.parametrize(
    "dialects",
    [
        "filters-ignored",
        "is-preprod-any",
        "tags-any-case",
        "filters-ignored,tags-any-case,is-preprod-any,hal-no-count",
    ],
)
def test_freeze_is_exact_under_every_reading_of_the_filters(
    dialects: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (
        FREEZE
        + "  - select: {tag: [PROMO, pricing], is_preprod: false}\n    state: pause\n"
        + "  - select: {is_preprod: false, type: [predictive]}\n    state: pause\n"
    )
    for server in generated(tmp_path, "demo", dialects=dialects, page_cap=10):
        run = _runner(server, monkeypatch, capsys)
        config = write_config(tmp_path, body)
        server.clear_requests()
        applied = run("apply", str(config), "--auto-approve")
        assert applied.code == 0, applied.all
        # 381314 is tagged pricing but in preprod; PROMO is not promo; 381315 is the one predictive test
        assert Counter(mutations(server)) == Counter([*pauses(381312, 381320, 381315), SCRIPT])
        assert run("plan", str(config), "--detailed-exitcode").code == 0
