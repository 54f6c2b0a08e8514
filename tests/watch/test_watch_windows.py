"""Self-heal honours the sync windows: a deny window in force holds the drift (reported, not applied);
an allow window in force for its kind of change lets it apply. (A Taplytics file makes user changes only,
so a window limited to another kind is refused at load: tests/config/bad/61_*; Flagship's kinds are in
tests/providers/flagship/test_windows_e2e.py.)"""

from __future__ import annotations

from pathlib import Path

from reconciler.sandbox.server import SandboxServer
from reconciler.watch.checks import CheckSettings, run_check
from reconciler.watch.reload import ConfigSource
from tests.support.watch import sandbox_env, taplytics_config

NEW_USER = "  - user_id: qa-new\n    email: qa+new@example.com\n    name: New QA\n"
FREEZE = (
    "sync_windows:\n  - name: freeze\n    kind: deny\n    schedule: '* * * * *'\n    duration: 1h\n"
    "    timezone: Europe/Paris\n"
)


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
