"""The Flagship provider: the contract of ``reconciler.providers.base`` for one account environment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

from reconciler.config.loaded import LoadedConfig
from reconciler.core.changes import Change, Needs
from reconciler.core.plan import Setting, Violation
from reconciler.errors import EnvironmentVariableError
from reconciler.providers.base import Provider, SecretField, UniqueKey, UrlPair, resolve_variable
from reconciler.providers.endpoint import Endpoint
from reconciler.providers.flagship import describe, rails
from reconciler.providers.flagship.changes import Kind
from reconciler.providers.flagship.config import FlagshipConfig
from reconciler.providers.flagship.diff import diff
from reconciler.providers.flagship.state import Existing
from reconciler.redaction import Secret

if TYPE_CHECKING:  # the HTTP stack is imported when used (`connect`, `__init__`): `validate` never needs it
    from reconciler.http import ApiClient

DEFAULT_API_URL = "https://api.flagship.io/v1"
DEFAULT_AUTH_URL = "https://auth.flagship.io"
_CREDENTIALS = ("account", "credentials")


@dataclass(frozen=True)
class FlagshipEndpoint(Endpoint):
    """Where and as whom to talk to one account environment. The secret stays in its ``Secret``."""

    api_url: str
    auth_url: str
    account: str
    client_id: str
    client_secret: Secret


class FlagshipProvider(Provider[FlagshipConfig, Existing, FlagshipEndpoint]):
    """One Flagship account environment: campaign states, users and roles, panic mode, flags."""

    name = "flagship"
    config_model = FlagshipConfig
    kinds = Kind
    account_key = ("account", "environment")
    account_noun = "environment"
    environment = ("FLAGSHIP_CLIENT_ID", "FLAGSHIP_CLIENT_SECRET", "FLAGSHIP_API_URL", "FLAGSHIP_AUTH_URL")
    url_pairs = (UrlPair("FLAGSHIP_API_URL", "FLAGSHIP_AUTH_URL"),)
    credential_paths = (_CREDENTIALS,)
    secret_fields = (SecretField((*_CREDENTIALS, "client_secret"), "FLAGSHIP_CLIENT_SECRET"),)
    unique_keys = (
        UniqueKey(("campaigns",), "id", "campaign id"),
        UniqueKey(("campaigns",), "name", "campaign name"),
        UniqueKey(("users", "members"), "email", "user email", fold=True),
        UniqueKey(("flags", "keys"), "key", "flag key"),
    )
    inventory_nouns = ("campaign", "user", "flag")
    trusted_hosts = ("api.flagship.io", "auth.flagship.io")  # the document's server and token host
    # The webhooks page lists feature, flag and environment events, unsigned: `watch` takes them as triggers.
    webhook = "flagship"
    exporter_at = "reconciler.providers.flagship.export:EXPORTER"  # imported by `export` only

    def __init__(self, client: ApiClient, loaded: LoadedConfig) -> None:
        super().__init__(loaded)
        from reconciler.providers.flagship.api import EnvironmentApi

        self.api = EnvironmentApi(client, self.config.account.id, self.config.account.environment)

    @classmethod
    def account_of(cls, config: FlagshipConfig) -> str:
        """The environment id (one file per environment; the account is in the label)."""
        return config.account.environment

    @classmethod
    def inventory(cls, config: FlagshipConfig) -> Mapping[str, int]:
        users = len(config.users.members) if config.users else 0
        flags = len(config.flags.keys) if config.flags else 0
        return {"campaign": len(config.campaigns), "user": users, "flag": flags}

    @classmethod
    def endpoint(cls, loaded: LoadedConfig, env: Mapping[str, str]) -> FlagshipEndpoint:
        """Env FLAGSHIP_API_URL / FLAGSHIP_AUTH_URL win over the config, which wins over the defaults."""
        account = cls.config_of(loaded).account
        creds = account.credentials
        values, unset = [], []
        for key, raw in (("client_id", creds.client_id), ("client_secret", creds.client_secret)):
            try:  # every unset variable at once, not one per run
                values.append(resolve_variable(loaded, (*_CREDENTIALS, key), raw, env))
            except EnvironmentVariableError as err:
                unset.append(str(err))
        if unset:
            raise EnvironmentVariableError("\n".join(unset))
        return FlagshipEndpoint(
            api_url=env.get("FLAGSHIP_API_URL") or account.api_url or DEFAULT_API_URL,
            auth_url=env.get("FLAGSHIP_AUTH_URL") or account.auth_url or DEFAULT_AUTH_URL,
            account=account.id,
            client_id=values[0],
            client_secret=Secret(values[1]),
        )

    @classmethod
    def default_endpoint(cls, env: Mapping[str, str]) -> FlagshipEndpoint:
        """From FLAGSHIP_CLIENT_ID / FLAGSHIP_CLIENT_SECRET / FLAGSHIP_ACCOUNT_ID (and the URL variables)."""
        names = ("FLAGSHIP_CLIENT_ID", "FLAGSHIP_CLIENT_SECRET")
        EnvironmentVariableError.require(
            env, names, "export the Remote Control API access (or use --sandbox)"
        )
        return FlagshipEndpoint(
            api_url=env.get("FLAGSHIP_API_URL") or DEFAULT_API_URL,
            auth_url=env.get("FLAGSHIP_AUTH_URL") or DEFAULT_AUTH_URL,
            account=env.get("FLAGSHIP_ACCOUNT_ID", ""),
            client_id=env["FLAGSHIP_CLIENT_ID"],
            client_secret=Secret(env["FLAGSHIP_CLIENT_SECRET"]),
        )

    @classmethod
    @asynccontextmanager
    async def open(
        cls, loaded: LoadedConfig, endpoint: FlagshipEndpoint, parallelism: int
    ) -> AsyncIterator[Self]:
        """A provider with its own client: one token for the whole run, asked of the file's account (the
        token route names it; ``--sandbox`` endpoints come from variables alone)."""
        async with connect(endpoint, parallelism, cls.config_of(loaded).account.id) as client:
            yield cls(client, loaded)
            client.log_summary()

    async def fetch(self) -> Existing:
        return await self.api.fetch(self.loaded, self.config)

    @classmethod
    def diff(cls, config: FlagshipConfig, existing: Existing) -> list[Change]:
        """See ``flagship.diff``."""
        return diff(config, existing)

    @classmethod
    def rails(cls, config: FlagshipConfig, existing: Existing, changes: Sequence[Change]) -> list[Violation]:
        """See ``flagship.rails``."""
        return rails.check_safety(config, existing, changes)

    @classmethod
    def settings(cls, config: FlagshipConfig) -> list[Setting]:
        return rails.settings(config)

    @classmethod
    def needs(cls, changes: Sequence[Change]) -> list[Needs]:
        return rails.needs(changes)

    async def execute(self, change: Change) -> None:
        await self.api.execute(change)

    @classmethod
    def label(cls, change: Change) -> str:
        return describe.label(change)

    @classmethod
    def describe(cls, change: Change) -> str:
        return describe.describe(change)

    @classmethod
    def inline(cls, change: Change) -> bool:
        """``+ user a@b.c (ADMIN)``: a user's add and revoke read as one phrase."""
        return change.kind in (Kind.USER_ADD, Kind.USER_REVOKE, Kind.FLAG_CREATE, Kind.FLAG_DELETE)


def connect(endpoint: FlagshipEndpoint, parallelism: int, account: str | None = None) -> ApiClient:
    """An API client authenticated with the endpoint's client credentials for ``account`` (default the
    endpoint's) (enter it with ``async with``)."""
    from reconciler.http import ApiClient
    from reconciler.providers.flagship.auth import FlagshipToken, token_url

    auth = FlagshipToken(
        token_url(endpoint.auth_url, account or endpoint.account), endpoint.client_id, endpoint.client_secret
    )
    return ApiClient(endpoint.api_url, auth, parallelism=parallelism)
