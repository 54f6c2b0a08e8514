"""Selectors without a network: validation at FILE:LINE:COL, the filters sent, the local check, field-level
resolution, conflicts, the notes, and ``via`` / ``notes`` in plan files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reconciler.core.changes import Change
from reconciler.core.plan import AccountPlan, Note
from reconciler.errors import ConfigError, ResolveError
from reconciler.loading import load_configs
from reconciler.providers.abtasty import selectors
from reconciler.providers.abtasty.changes import Kind
from reconciler.providers.abtasty.config import AbTastyConfig, Selector
from reconciler.providers.abtasty.diff import diff
from reconciler.providers.abtasty.provider import AbTastyProvider
from reconciler.providers.abtasty.rails import check_safety
from reconciler.providers.abtasty.state import Existing, ExistingTest
from reconciler.render import render_markdown, render_text

HEADER = "version: 1\nprovider: abtasty\naccount:\n  id: 41902\n"


def load(tmp_path: Path, body: str) -> AbTastyConfig:
    path = tmp_path / "c.yaml"
    path.write_text(HEADER + body)
    [loaded] = load_configs([path])
    assert isinstance(loaded.config, AbTastyConfig)
    return loaded.config


def problems(tmp_path: Path, body: str) -> str:
    path = tmp_path / "c.yaml"
    path.write_text(HEADER + body)
    with pytest.raises(ConfigError) as caught:
        load_configs([path])
    return str(caught.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("  - select: {}\n    state: pause\n", "6:13: an empty selector would match every test: write 'select: {all: true}'"),
        ("  - select: {folderr: [12]}\n    state: pause\n", "6:14: unknown key 'folderr'; did you mean 'folder'?"),
        ("  - select: {all: true, tag: [x]}\n    state: pause\n", "'all: true' selects every test: drop it or tag"),
        ("  - select: {type: [abb]}\n    state: pause\n", "6:21: tests[0].select.type[0]: input should be 'ab'"),
        ("  - select: {tag: [x]}\n", "6:5: a selector manages nothing: give it a state or a schedule"),
        ("  - select: {active: 2}\n    state: pause\n", "expected true/false (or 1/0), got 2"),
        ("  - select: {tag: []}\n    state: pause\n", "list should have at least 1 item"),
        ("  - id: 5\n    select: {all: true}\n    state: pause\n", "give either id, name or select, not both"),
        ("  - select: {all: false}\n    state: pause\n", "tests[0].select.all"),
    ],
)  # fmt: skip
def test_bad_selectors_are_reported_at_their_line(tmp_path: Path, body: str, expected: str) -> None:
    assert expected in problems(tmp_path, "tests:\n" + body)


def test_flags_take_booleans_or_the_documents_zero_and_one(tmp_path: Path) -> None:
    config = load(tmp_path, "tests:\n  - select: {active: 1, is_preprod: false}\n    state: pause\n")
    selector = config.tests[0].select
    assert selector is not None and selector.active is True and selector.is_preprod is False


def test_params_are_the_documented_filters_and_never_is_preprod_zero() -> None:
    selector = Selector(type=["ab"], folder=[12, 0], tag=["a"], exclude_tag=["b"], name="Cart", active=False)
    assert selectors.params(selector) == {
        "filter[type][]": ["ab"],
        "filter[folder][]": [12, 0],
        "filter[tag][]": ["a"],
        "filter[exclude_tag][]": ["b"],
        "filter[name]": "Cart",
        "filter[active]": 0,
    }
    assert selectors.params(Selector(is_preprod=True)) == {"filter[is_preprod]": 1}
    assert selectors.params(Selector(is_preprod=False)) == {}  # "if is set only preprod": checked locally
    assert selectors.params(Selector(all=True)) == {}


def test_describe_names_the_selector() -> None:
    assert selectors.describe(0, Selector(folder=[12])) == "tests[0] select folder=12"
    assert selectors.describe(3, Selector(all=True)) == "tests[3] select all"
    shown = selectors.describe(1, Selector(type=["ab", "mvt"], name="Black Friday", active=True))
    assert shown == 'tests[1] select type=ab,mvt name="Black Friday" active=1'


def _test(ident: int, state: str = "play", **kw: object) -> ExistingTest:
    return ExistingTest(id=ident, name=f"T{ident}", state=state, preprod=bool(kw.get("preprod", False)))


def test_the_local_check_applies_every_key() -> None:
    test = ExistingTest(id=1, name="Checkout Funnel", state="play", preprod=False, start=0, stop=5)
    facets = selectors.Facets(type="ab", labels=("promo",), folder=12)
    assert selectors.matches(
        Selector(folder=[12], tag=["promo"], name="FUNNEL", is_schedule=True), test, facets
    )
    for miss in (
        Selector(folder=[0]),
        Selector(tag=["Promo"]),  # tags by name, exact
        Selector(exclude_tag=["promo"]),
        Selector(type=["mvt"]),
        Selector(name="cart"),
        Selector(active=False),
        Selector(is_preprod=True),
        Selector(is_schedule=False),
    ):
        assert not selectors.matches(miss, test, facets), miss


def _existing(matches: dict[int, tuple[int, ...]], *tests: ExistingTest) -> Existing:
    return Existing(41902, tests={t.id: t for t in tests}, matches=matches)


def test_explicit_entry_wins_field_by_field(tmp_path: Path) -> None:
    body = (
        "tests:\n  - select: {folder: [12]}\n    state: pause\n"
        "  - id: 2\n    schedule: {start_at: '2030-01-01T00:00:00', timezone: UTC}\n"
        "  - id: 3\n    state: play\n"
    )
    config = load(tmp_path, body)
    existing = _existing({0: (1, 2, 3)}, _test(1), _test(2), _test(3, "pause"))
    changes = diff(config, existing)
    states = {(c.key, c.after.get("state"), c.via) for c in changes if c.kind is Kind.TEST_STATE}
    # 2: its own entry schedules it, the selector still pauses it; 3: its own entry plays it
    assert states == {
        ("1", "pause", "tests[0] select folder=12"),
        ("2", "pause", "tests[0] select folder=12"),
        ("3", "play", ""),
    }
    schedule = next(c for c in changes if c.kind is Kind.TEST_SCHEDULE)
    assert schedule.key == "2" and schedule.via == ""


def test_agreeing_selectors_are_both_named_and_disagreeing_ones_refused(tmp_path: Path) -> None:
    body = "tests:\n  - select: {folder: [12]}\n    state: pause\n  - select: {tag: [x]}\n    state: pause\n"
    config = load(tmp_path, body)
    [change, _script] = diff(config, _existing({0: (1,), 1: (1,)}, _test(1)))
    assert change.via == "tests[0] select folder=12 & tests[1] select tag=x"
    clash = load(
        tmp_path, body.replace("state: pause\n", "state: play\n", 1).replace("{tag", "{type: [ab], tag")
    )
    existing = _existing({0: (1,), 1: (1,)}, _test(1))
    _, conflicts = selectors.resolve(clash, existing)
    assert conflicts == [selectors.Conflict(0, 1, 1, "state")]
    with pytest.raises(ResolveError, match=r"tests\[0\] and tests\[1\] disagree on the state of test 1"):
        diff(clash, existing)


def test_notes_count_matches_and_warn_on_none(tmp_path: Path) -> None:
    body = (
        "tests:\n  - select: {folder: [12]}\n    state: pause\n  - select: {tag: [nope]}\n    state: pause\n"
    )
    config = load(tmp_path, body)
    existing = _existing({0: (1, 2), 1: ()}, _test(1), _test(2, "pause"))
    plan = AbTastyProvider.plan("c.yaml", config, existing)
    assert plan.notes == (
        Note("tests[0] select folder=12: 2 tests matched, 1 change(s)"),
        Note("tests[1] select tag=nope: matched no test", warning=True),
    )
    text = render_text([plan])
    assert "  # tests[0] select folder=12: 2 tests matched, 1 change(s)\n" in text
    assert "  ? warning: tests[1] select tag=nope: matched no test\n" in text
    assert "> :warning: `tests[1] select tag=nope: matched no test`" in render_markdown([plan])


def test_rails_count_tests_a_selector_manages(tmp_path: Path) -> None:
    config = load(tmp_path, "tests:\n  - select: {active: true}\n    state: pause\n")
    tests = [_test(i) for i in range(1, 13)]
    existing = _existing({0: tuple(range(1, 13))}, *tests)
    [violation] = check_safety(config, existing, diff(config, existing))
    assert violation.rule == "max_pause_fraction" and "12 of 12" in violation.message


def test_via_and_notes_are_in_plan_files_only_when_set() -> None:
    plain = Change(Kind.TEST_STATE, "test:1", "T", {"state": "play"}, {"state": "pause"})
    chosen = dataclasses.replace(plain, via="tests[0] select folder=12")
    assert "via" not in plain.to_dict() and chosen.to_dict()["via"] == "tests[0] select folder=12"
    assert Change.from_dict(chosen.to_dict(), Kind) == chosen
    plan = AccountPlan("c.yaml", "abtasty", "41902", (chosen,), notes=(Note("n", True),))
    assert "notes" not in dataclasses.replace(plan, notes=()).to_dict()
    assert AccountPlan.from_dict(plan.to_dict(), Kind) == plan


@pytest.mark.parametrize("bad", [{"via": 5}, {"via": ["x"]}])
def test_a_hand_edited_via_is_refused(bad: dict[str, object]) -> None:
    data = {**Change(Kind.TEST_STATE, "test:1", "T").to_dict(), **bad}
    with pytest.raises(TypeError):
        Change.from_dict(data, Kind)


@pytest.mark.parametrize("bad", ["x", [1], [{"message": 1}], [{"message": "m", "warning": "yes"}]])
def test_hand_edited_notes_are_refused(bad: object) -> None:
    data = {**AccountPlan("c.yaml", "abtasty", "41902", ()).to_dict(), "notes": bad}
    with pytest.raises((TypeError, AttributeError)):
        AccountPlan.from_dict(data, Kind)
