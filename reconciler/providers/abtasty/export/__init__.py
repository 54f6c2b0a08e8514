"""``export`` for AB Tasty: the whole account as a config file (``render``), or a config refreshed in place
(``update``), fetched through one client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.errors import ReconcilerError
from reconciler.providers.abtasty.api import TestSelection, api2_root, fetch_account
from reconciler.providers.abtasty.export.render import ExportOptions, render_export
from reconciler.providers.abtasty.export.update import UpdateOptions, update_text
from reconciler.providers.abtasty.provider import AbTastyProvider, OAuthEndpoint, connect
from reconciler.providers.abtasty.state import Existing

if TYPE_CHECKING:
    from reconciler.config.loaded import LoadedConfig
    from reconciler.providers.exporter import ExportRequest
    from reconciler.yamledit.result import Exported, UpdateResult

_SELECTIONS: dict[str, TestSelection] = {"all": "all", "playing": "playing", "none": "none"}


class AbTastyExporter:
    """The ``Exporter`` of AB Tasty accounts."""

    def parse_account(self, raw: str) -> str:
        """A positive account id."""
        if not raw.isdigit() or int(raw) < 1:
            raise ReconcilerError(
                f"--account {raw!r}: an AB Tasty account id is a positive number, e.g. 41902"
            )
        return str(int(raw))

    async def export(
        self, endpoint: OAuthEndpoint, account: str, request: ExportRequest, parallelism: int
    ) -> Exported:
        """The whole account (as ``--tests`` / ``--members`` select) as a config file."""
        tests = _SELECTIONS[request.resources]
        existing = await _fetch(endpoint, int(account), tests, request.members, parallelism)
        options = ExportOptions(tests, request.members, request.prune, request.schema_ref)
        return render_export(existing, options)

    async def update(
        self,
        loaded: LoadedConfig,
        text: str,
        endpoint: OAuthEndpoint,
        request: ExportRequest,
        parallelism: int,
    ) -> UpdateResult:
        """The file's drifted values refreshed from the account."""
        config = AbTastyProvider.config_of(loaded)
        wanted = request.members and config.memberships is not None
        existing = await _fetch(endpoint, config.account.id, "all", wanted, parallelism)
        options = UpdateOptions(request.add_new, _SELECTIONS[request.resources])
        return update_text(loaded.path, text, config, existing, options)


async def _fetch(
    endpoint: OAuthEndpoint, account_id: int, tests: TestSelection, members: bool, parallelism: int
) -> Existing:
    """The whole account through one client (one token, one request count)."""
    async with connect(endpoint, parallelism) as client:
        api2 = api2_root(client, endpoint.api2_url)
        existing = await fetch_account(client, account_id, tests=tests, members=members, api2=api2)
        client.log_summary()
    return existing


EXPORTER = AbTastyExporter()
