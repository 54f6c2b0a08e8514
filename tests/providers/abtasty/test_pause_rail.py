"""The pause rail counts against the account's playing tests (issue 24, item 7): entries that change
nothing cannot dilute it, and an absolute cap holds however many tests play."""

from __future__ import annotations

from typing import Any

from reconciler.engine import make_plan
from reconciler.providers.abtasty.config import AbTastyConfig
from reconciler.providers.abtasty.rails import check_safety
from reconciler.providers.abtasty.state import Existing, ExistingTest


def config(tests: list[dict[str, Any]], **safety: Any) -> AbTastyConfig:
    return AbTastyConfig.model_validate(
        {
            "version": 1,
            "provider": "abtasty",
            "account": {"id": 1, "safety": safety},
            "tests": tests,
            "script": {"update_after_apply": False},
        }
    )


def account(playing: int, known: int) -> Existing:
    """``playing`` tests play in the account; the first ``known`` of them were read."""
    tests = {i: ExistingTest(i, f"T{i}", "play", False) for i in range(1, known + 1)}
    return Existing(1, tests=tests, playing=playing)


FREEZE = [{"id": i, "state": "pause"} for i in range(1, 13)]


def rules(cfg: AbTastyConfig, existing: Existing) -> list[str]:
    plan = make_plan("a.yaml", cfg, existing)
    return [v.rule for v in check_safety(cfg, existing, plan.changes)]


def test_the_denominator_is_the_account_not_the_config() -> None:
    # 12 of 12 managed, but the account plays 15: 80% is refused either way ...
    assert rules(config(FREEZE), account(15, 12)) == ["max_pause_fraction"]
    # ... and 12 of 50 is 24%, whether or not the config also lists 38 tests it leaves playing.
    no_ops = [{"id": i, "state": "play"} for i in range(13, 51)]
    assert rules(config(FREEZE), account(50, 12)) == rules(config(FREEZE + no_ops), account(50, 50)) == []


def test_a_count_read_below_what_the_config_sees_is_not_believed() -> None:
    assert rules(config(FREEZE), account(0, 12)) == ["max_pause_fraction"]  # 12 of 12, not 12 of 0


def test_the_absolute_cap_holds_whatever_the_fraction() -> None:
    assert rules(config(FREEZE, max_pause_count=10), account(500, 12)) == ["max_pause_count"]
    assert rules(config(FREEZE, max_pause_count=12), account(500, 12)) == []
