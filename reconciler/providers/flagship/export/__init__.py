"""``export`` for Flagship: an account environment as a config file (``render``), or a config refreshed in
place (``update``), read through one client.

``export --account ACCOUNT_ID/ENVIRONMENT_ID`` names both: the environment is the unit of a config file (and
of the credentials). Everything is read, whatever the file manages, so ``--update`` can list what it lacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.errors import ReconcilerError
from reconciler.providers.flagship.api import EnvironmentApi
from reconciler.providers.flagship.export.render import render_export
from reconciler.providers.flagship.export.update import update_text
from reconciler.providers.flagship.provider import FlagshipEndpoint, FlagshipProvider, connect
from reconciler.providers.flagship.state import Existing

if TYPE_CHECKING:
    from reconciler.config.loaded import LoadedConfig
    from reconciler.providers.exporter import ExportRequest
    from reconciler.yamledit.result import Exported, UpdateResult


class FlagshipExporter:
    """The ``Exporter`` of Flagship account environments."""

    def parse_account(self, raw: str) -> str:
        """``ACCOUNT_ID/ENVIRONMENT_ID``: two ids, each one line without ``/`` or ``${``."""
        account, slash, environment = raw.partition("/")
        if not slash or not all(_plain_id(part) for part in (account, environment)):
            raise ReconcilerError(
                f"--account {raw!r}: name the Flagship account and environment as ACCOUNT_ID/ENVIRONMENT_ID, "
                "e.g. bk87t3jggr10c6l6sdog/bk87t3jggr10c6l6sdpg (Settings > Account, Settings > Environments)"
            )
        return raw

    async def export(
        self, endpoint: FlagshipEndpoint, account: str, request: ExportRequest, parallelism: int
    ) -> Exported:
        """Everything the environment has, as a config file."""
        account_id, _, environment = account.partition("/")
        return render_export(await _fetch(endpoint, account_id, environment, parallelism), request)

    async def update(
        self,
        loaded: LoadedConfig,
        text: str,
        endpoint: FlagshipEndpoint,
        request: ExportRequest,
        parallelism: int,
    ) -> UpdateResult:
        """The file's drifted values refreshed from its environment."""
        config = FlagshipProvider.config_of(loaded)
        account = config.account
        existing = await _fetch(endpoint, account.id, account.environment, parallelism)
        return update_text(loaded.path, text, config, existing, request.add_new)


def _plain_id(part: str) -> bool:
    return bool(part.strip()) and part.isprintable() and "${" not in part and "/" not in part


async def _fetch(endpoint: FlagshipEndpoint, account: str, environment: str, parallelism: int) -> Existing:
    """Campaigns, users, flags and panic mode through one client (one token, one request count)."""
    async with connect(endpoint, parallelism, account) as client:
        existing = await EnvironmentApi(client, account, environment).read()
        client.log_summary()
    return existing


EXPORTER = FlagshipExporter()
