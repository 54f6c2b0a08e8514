"""Self-heal honours the sync windows: a deny window in force holds the drift (reported, not applied);
an allow window in force for its kind of change lets it apply; a held drift is applied once the window ends
(the check's clock is moved, not waited for); and the plan made under the account's lock, the one applied,
is checked again (a window that opened, or files written, after the first plan hold it too). (A Taplytics
file makes user changes only, so a window limited to another kind is refused at load: tests/config/bad/61_*;
Flagship's kinds are in tests/providers/flagship/test_windows_e2e.py.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from reconciler.sandbox.server import SandboxServer
from reconciler.watch.checks import CheckResult, CheckSettings, run_check
from reconciler.watch.reload import ConfigSource
from tests.support.watch import sandbox_env, taplytics_config

NEW_USER = "  - user_id: qa-new\n    email: qa+new@example.com\n    name: New QA\n"
FREEZE = (
    "sync_windows:\n  - name: freeze\n    kind: deny\n    schedule: '* * * * *'\n    duration: 1h\n"
    "    timezone: Europe/Paris\n"
)
NOON_FREEZE = FREEZE.replace("'* * * * *'", "'0 12 * * *'")  # 12:00 to 13:00 in Paris, every day
WINTER = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)  # Paris is UTC+1


def _paris(hour: int, minute: int) -> dt.datetime:
    return WINTER + dt.timedelta(hours=hour - 1, minutes=minute)


def _clock(*times: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that gives ``times`` one call each, then the last for ever."""
    given: Iterator[dt.datetime] = iter(times)
    last = [times[0]]

    def now() -> dt.datetime:
        last[0] = next(given, last[0])
        return last[0]

    return now


async def _heal_at(path: Path, server: SandboxServer, clock: Callable[[], dt.datetime]) -> CheckResult:
    env = sandbox_env(server)
    result = await run_check(
        ConfigSource([str(path)], env).load()[0], CheckSettings(env, self_heal=True, clock=clock)
    )
    assert result.error is None, result.error
    return result


async def _check(path: Path, server: SandboxServer) -> tuple[object, object, tuple[str, ...]]:
    env = sandbox_env(server)
    source = ConfigSource([str(path)], env)
    result = await run_check(source.load()[0], CheckSettings(env, self_heal=True))
    assert result.error is None, result.error
    assert result.plan is not None
    return result.plan.changes, result.heal, result.held


async def test_a_deny_window_holds_self_heal(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    path = taplytics_config(tmp_path, users=NEW_USER)
    path.write_text(path.read_text() + FREEZE)
    changes, heal, held = await _check(path, tap_sandbox)
    assert changes and heal is None
    assert held and "deny window 'freeze'" in held[0]
    assert "qa-new" not in str(tap_sandbox.state())


async def test_an_allow_window_in_force_lets_self_heal_apply(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = taplytics_config(tmp_path, users=NEW_USER)
    path.write_text(path.read_text() + FREEZE.replace("kind: deny", "kind: allow") + "    changes: [user]\n")
    changes, heal, held = await _check(path, tap_sandbox)
    assert held == () and heal is not None and not changes
    assert "qa-new" in str(tap_sandbox.state())


async def test_a_held_drift_is_applied_once_the_deny_window_ends(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = taplytics_config(tmp_path, users=NEW_USER)
    path.write_text(path.read_text() + NOON_FREEZE)
    held = await _heal_at(path, tap_sandbox, _clock(_paris(12, 59)))
    assert held.heal is None and held.held and "deny window 'freeze'" in held.held[0]
    assert "qa-new" not in str(tap_sandbox.state())
    healed = await _heal_at(path, tap_sandbox, _clock(_paris(13, 0)))  # the window has just ended
    assert healed.held == () and healed.heal is not None and healed.heal.applied == 1
    assert "qa-new" in str(tap_sandbox.state())


async def test_a_window_that_opens_before_the_lock_holds_the_plan_made_under_it(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = taplytics_config(tmp_path, users=NEW_USER)
    path.write_text(path.read_text() + NOON_FREEZE)
    # The first plan is checked at 11:59:59; the plan made under the lock at 12:00, in the window.
    result = await _heal_at(
        path, tap_sandbox, _clock(_paris(11, 59) + dt.timedelta(seconds=59), _paris(12, 0))
    )
    assert result.heal is None, "the plan applied was never checked against the windows"
    assert result.held and "deny window 'freeze'" in result.held[0]
    assert "qa-new" not in str(tap_sandbox.state())


async def test_files_written_before_the_lock_hold_the_plan_made_under_it(
    tap_sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = taplytics_config(tmp_path, users=NEW_USER)
    env = sandbox_env(tap_sandbox)
    answers = iter([None, f"{path} changed since it was read: waiting for it to settle"])
    asked: list[str] = []

    def unsettled(loaded: object) -> str | None:
        answer = next(answers)
        asked.append(str(answer))
        return answer

    settings = CheckSettings(env, self_heal=True)
    result = await run_check(ConfigSource([str(path)], env).load()[0], settings, unsettled)
    assert len(asked) == 2, "the files were not checked again on the plan made under the lock"
    assert result.heal is None and result.unsettled is not None and "changed since" in result.unsettled
    assert "qa-new" not in str(tap_sandbox.state())
