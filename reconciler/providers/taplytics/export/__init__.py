"""``export`` for Taplytics: every user of a project as a config file (``render``), or a config refreshed in
place (``update``), read through one client.

The API token picks the project: the "account" given to ``export --account`` is only the label written as
``project.name``. The selections of AB Tasty's export (``--tests``, ``--members``, ``--prune``) have nothing to
select here and are ignored: a Taplytics file declares users, and apply never deletes one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.errors import ReconcilerError
from reconciler.providers.taplytics.api import list_users
from reconciler.providers.taplytics.export.render import ExportOptions, render_export
from reconciler.providers.taplytics.export.update import update_text
from reconciler.providers.taplytics.provider import TaplyticsProvider, TokenEndpoint, connect
from reconciler.providers.taplytics.state import Existing

if TYPE_CHECKING:
    from reconciler.config.loaded import LoadedConfig
    from reconciler.providers.exporter import ExportRequest
    from reconciler.yamledit.result import Exported, UpdateResult


class TaplyticsExporter:
    """The ``Exporter`` of Taplytics projects."""

    def parse_account(self, raw: str) -> str:
        """The project's label: any one-line text without ``${``."""
        if not raw.strip() or "${" in raw or not raw.isprintable():
            raise ReconcilerError(
                f"--account {raw!r}: name the Taplytics project with a label of your choice, e.g. my-app "
                "(one line, no '${'; the API token picks the project)"
            )
        return raw

    async def export(
        self, endpoint: TokenEndpoint, account: str, request: ExportRequest, parallelism: int
    ) -> Exported:
        """Every user of the project as a config file."""
        existing = await _fetch(endpoint, account, parallelism)
        return render_export(existing, ExportOptions(request.schema_ref))

    async def update(
        self,
        loaded: LoadedConfig,
        text: str,
        endpoint: TokenEndpoint,
        request: ExportRequest,
        parallelism: int,
    ) -> UpdateResult:
        """The file's drifted values refreshed from the project."""
        config = TaplyticsProvider.config_of(loaded)
        existing = await _fetch(endpoint, config.project.name, parallelism)
        return update_text(loaded.path, text, config, existing, request.add_new)


async def _fetch(endpoint: TokenEndpoint, project: str, parallelism: int) -> Existing:
    """Every user through one client (one token, one request count)."""
    async with connect(endpoint, parallelism) as client:
        users = await list_users(client)
        client.log_summary()
    return Existing(project, users={u.user_id: u for u in users})


EXPORTER = TaplyticsExporter()
