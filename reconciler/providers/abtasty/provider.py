"""The AB Tasty provider: the contract of ``reconciler.providers.base`` for one AB Tasty account."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

from reconciler.config.loaded import LoadedConfig
from reconciler.core.changes import Change, Needs
from reconciler.core.plan import Note, Setting, Violation
from reconciler.core.text import escape_non_ascii
from reconciler.errors import EnvironmentVariableError
from reconciler.providers.abtasty import describe, pending, rails, selectors
from reconciler.providers.abtasty import health as account_health
from reconciler.providers.abtasty.changes import TEST_KINDS, Kind, role_rank
from reconciler.providers.abtasty.config import AbTastyConfig
from reconciler.providers.abtasty.diff import diff
from reconciler.providers.abtasty.state import Existing
from reconciler.providers.base import Provider, SecretField, UniqueKey, UrlPair, resolve_variable
from reconciler.providers.endpoint import Endpoint
from reconciler.redaction import Secret

if TYPE_CHECKING:  # the HTTP stack is imported when used (`connect`, `__init__`): `validate` never needs it
    from reconciler.http import ApiClient

DEFAULT_API_URL = "https://api.abtasty.com"
DEFAULT_API2_URL = "https://api2.abtasty.com"  # token, membership and script, in the document's examples
DEFAULT_AUTH_URL = "https://api2.abtasty.com/oauth/v2/token"
_CREDENTIALS = ("account", "credentials")


@dataclass(frozen=True)
class OAuthEndpoint(Endpoint):
    """Where and as whom to talk to one AB Tasty account. The secret never leaves its ``Secret`` wrapper."""

    api_url: str
    auth_url: str
    client_id: str
    client_secret: Secret
    api2_url: str = DEFAULT_API2_URL


class AbTastyProvider(Provider[AbTastyConfig, Existing, OAuthEndpoint]):
    """One AB Tasty account: its tests' state, mode and schedule, its members, its tag script."""

    name = "abtasty"
    config_model = AbTastyConfig
    kinds = Kind
    account_key = ("account", "id")
    account_numeric = True
    environment = (
        "ABTASTY_CLIENT_ID",
        "ABTASTY_CLIENT_SECRET",
        "ABTASTY_API_URL",
        "ABTASTY_API2_URL",
        "ABTASTY_AUTH_URL",
    )
    url_pairs = (
        UrlPair("ABTASTY_API_URL", "ABTASTY_AUTH_URL"),
        UrlPair("ABTASTY_API2_URL", "ABTASTY_AUTH_URL"),
    )
    credential_paths = (_CREDENTIALS,)
    secret_fields = (SecretField((*_CREDENTIALS, "client_secret"), "ABTASTY_CLIENT_SECRET"),)
    unique_keys = (
        UniqueKey(("tests",), "id", "test id"),
        UniqueKey(("tests",), "name", "test name"),
        UniqueKey(("memberships", "members"), "email", "member email", fold=True),
    )
    inventory_nouns = ("test", "member")
    # The document's hosts: the API on api.abtasty.com, the token (and membership examples) on api2.
    exporter_at = "reconciler.providers.abtasty.export:EXPORTER"  # imported by `export` only
    trusted_hosts = ("api.abtasty.com", "api2.abtasty.com")

    def __init__(self, client: ApiClient, loaded: LoadedConfig, api2_url: str | None = None) -> None:
        super().__init__(loaded)
        from reconciler.providers.abtasty.api import AccountApi

        self.api = AccountApi(client, loaded, self.config, api2_url)
        self.marker = pending.marker_path(str(client.origin), self.config.account.id)

    @classmethod
    def account_of(cls, config: AbTastyConfig) -> str:
        """The account id."""
        return str(config.account.id)

    @classmethod
    def inventory(cls, config: AbTastyConfig) -> Mapping[str, int]:
        """Tests and members declared."""
        members = len(config.memberships.members) if config.memberships else 0
        return {"test": len(config.tests), "member": members}

    @classmethod
    def endpoint(cls, loaded: LoadedConfig, env: Mapping[str, str]) -> OAuthEndpoint:
        """Env ABTASTY_API_URL / ABTASTY_API2_URL / ABTASTY_AUTH_URL win over the config, which wins over the
        defaults (see ``api2_url``)."""
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
        return OAuthEndpoint(
            api_url=env.get("ABTASTY_API_URL") or account.api_url or DEFAULT_API_URL,
            auth_url=env.get("ABTASTY_AUTH_URL") or account.auth_url or DEFAULT_AUTH_URL,
            client_id=values[0],
            client_secret=Secret(values[1]),  # registers it with the redactor
            api2_url=api2_url(env, account.api_url, account.api2_url),
        )

    @classmethod
    def default_endpoint(cls, env: Mapping[str, str]) -> OAuthEndpoint:
        """From ABTASTY_CLIENT_ID / ABTASTY_CLIENT_SECRET (and the URL variables)."""
        EnvironmentVariableError.require(
            env,
            ("ABTASTY_CLIENT_ID", "ABTASTY_CLIENT_SECRET"),
            "export the account's API credentials (or use --sandbox)",
        )
        return OAuthEndpoint(
            api_url=env.get("ABTASTY_API_URL") or DEFAULT_API_URL,
            auth_url=env.get("ABTASTY_AUTH_URL") or DEFAULT_AUTH_URL,
            client_id=env["ABTASTY_CLIENT_ID"],
            client_secret=Secret(env["ABTASTY_CLIENT_SECRET"]),
            api2_url=api2_url(env),
        )

    @classmethod
    @asynccontextmanager
    async def open(
        cls, loaded: LoadedConfig, endpoint: OAuthEndpoint, parallelism: int
    ) -> AsyncIterator[Self]:
        """A provider with its own client: OAuth2 client credentials, one token for the whole run."""
        async with connect(endpoint, parallelism) as client:
            yield cls(client, loaded, endpoint.api2_url)
            client.log_summary()

    async def fetch(self) -> Existing:
        """Tests the config lists, the membership list when memberships are managed, and whether an earlier
        apply left a tag-script rebuild undone (a local marker: ``abtasty.pending``), stamped with the time
        they were read (the rails' "now")."""
        started = int(time.time())  # the earliest instant the state can describe
        existing = await self.api.fetch()
        return dataclasses.replace(existing, script_owed=pending.is_owed(self.marker), fetched_at=started)

    @classmethod
    def diff(cls, config: AbTastyConfig, existing: Existing) -> list[Change]:
        """See ``abtasty.diff``."""
        return diff(config, existing)

    @classmethod
    def rails(cls, config: AbTastyConfig, existing: Existing, changes: Sequence[Change]) -> list[Violation]:
        """See ``abtasty.rails``."""
        return rails.check_safety(config, existing, changes)

    @classmethod
    def settings(cls, config: AbTastyConfig) -> list[Setting]:
        """See ``abtasty.rails``."""
        return rails.settings(config)

    @classmethod
    def notes(cls, config: AbTastyConfig, existing: Existing, changes: Sequence[Change]) -> list[Note]:
        """A note per selector: how many tests it matched (a warning when none); a warning per member whose
        role the document does not list (the client cannot tell what it allows, so it says so)."""
        odd = sorted(
            (m.email, m.role) for m in (existing.members or {}).values() if role_rank(m.role) is None
        )
        unknown = [
            Note(
                f"member {escape_non_ascii(email)} has role {role!r}, which the API document does not list: "
                "counted as no admin, and any change of it as access taken away",
                warning=True,
            )
            for email, role in odd
        ]
        return [*selectors.notes(config, existing, changes), *unknown]

    @classmethod
    def health(cls, config: AbTastyConfig, existing: Existing, changes: Sequence[Change]) -> list[str]:
        """See ``abtasty.health``."""
        return account_health.degraded(existing)

    @classmethod
    def needs(cls, changes: Sequence[Change]) -> list[Needs]:
        """See ``abtasty.rails``."""
        return rails.needs(changes)

    async def execute(self, change: Change) -> None:
        """One change, one call (two when a lost membership POST must be reconciled). A test change first
        records that the script owes a rebuild; the rebuild clears it once it succeeded."""
        if change.kind in TEST_KINDS and self.config.script.update_after_apply:
            pending.owe(self.marker)
        await self.api.execute(change)
        if change.kind is Kind.SCRIPT_UPDATE:
            pending.paid(self.marker)

    @classmethod
    def label(cls, change: Change) -> str:
        """See ``abtasty.describe``."""
        return describe.label(change)

    @classmethod
    def describe(cls, change: Change) -> str:
        """See ``abtasty.describe``."""
        return describe.describe(change)

    @classmethod
    def drift(cls, change: Change) -> str:
        """See ``abtasty.drift``."""
        from reconciler.providers.abtasty.drift import drift

        return drift(change)

    @classmethod
    def inline(cls, change: Change) -> bool:
        """``+ member a@b.c (admin)``: a member's add and revoke read as one phrase."""
        return change.kind in (Kind.MEMBER_ADD, Kind.MEMBER_REVOKE)


def api2_url(env: Mapping[str, str], api_url: str | None = None, configured: str | None = None) -> str:
    """Where membership and the script go: ABTASTY_API2_URL, else the config's ``api2_url``, else
    https://api2.abtasty.com. But an API URL of one's own (ABTASTY_API_URL, else ``api_url``: a proxy, a
    sandbox) that is not the document's host serves both route groups unless an api2 URL is given, as it did
    before there were two; the environment overrides the config as a pair."""
    if env.get("ABTASTY_API2_URL"):
        return env["ABTASTY_API2_URL"]
    own = env.get("ABTASTY_API_URL") or (None if configured else api_url)
    if own and own.rstrip("/") != DEFAULT_API_URL:
        return own
    return configured or DEFAULT_API2_URL


def connect(endpoint: OAuthEndpoint, parallelism: int) -> ApiClient:
    """An API client authenticated with the endpoint's client credentials (enter it with ``async with``)."""
    from reconciler.http import ApiClient, OAuth2ClientCredentials, check_url

    check_url(endpoint.api2_url)  # refused before any request, like the API and token URLs
    auth = OAuth2ClientCredentials(endpoint.auth_url, endpoint.client_id, endpoint.client_secret)
    return ApiClient(endpoint.api_url, auth, parallelism=parallelism, origins=(endpoint.api2_url,))
