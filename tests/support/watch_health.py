"""Three accounts in three different states, for the watch's health, metrics, alert and page tests:

- ``taplytics my-app``: out of sync (a user renamed behind its back), healthy;
- ``taplytics broken-app``: every check fails (a wrong API token): unknown, degraded;
- ``abtasty 41902``: in sync, degraded: it manages the demo's "Summer sale", paused although its start
  time (2019) has passed (an owed tag-script rebuild is tested on its own: it is drift as well).
"""

from __future__ import annotations

from pathlib import Path

from reconciler.sandbox.server import SandboxServer
from reconciler.statedirs import STATE_DIR_VARIABLE
from tests.support.watch import change_user, sandbox_env, taplytics_config

SUMMER_SALE = 381317
MY_APP = {"provider": "taplytics", "account": "my-app"}
BROKEN = {"provider": "taplytics", "account": "broken-app"}
SHOP = {"provider": "abtasty", "account": "41902"}
RENAMED = "Renamed <b>behind</b> its back, a long name that must not wrap in the middle of the entry"


def three_accounts(directory: Path, server: SandboxServer) -> dict[str, str]:
    """Write the three configs under ``directory`` and return the watch's environment."""
    taplytics_config(directory)
    broken = taplytics_config(directory, name="broken-app", file="broken.yaml")
    broken.write_text(
        broken.read_text().replace(
            "  name: broken-app\n", "  name: broken-app\n  api_token: ${WRONG_TOKEN}\n"
        )
    )
    (directory / "shop.yaml").write_text(
        f"version: 1\nprovider: abtasty\naccount:\n  id: 41902\ntests:\n  - id: {SUMMER_SALE}\n    state: pause\n"
    )
    change_user(server, "qa-002", name=RENAMED)
    return {
        **sandbox_env(server),
        "WRONG_TOKEN": "not-the-key",
        STATE_DIR_VARIABLE: str(directory.parent / "state"),
    }
