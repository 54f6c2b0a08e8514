"""The Taplytics provider: the contract of ``reconciler.providers.base`` for one Taplytics project."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

from reconciler.config.loaded import LoadedConfig
from reconciler.core.changes import Change
from reconciler.errors import EnvironmentVariableError
from reconciler.providers.base import Provider, SecretField, UniqueKey, resolve_variable
from reconciler.providers.endpoint import Endpoint
from reconciler.providers.taplytics import describe
from reconciler.providers.taplytics.changes import Kind
from reconciler.providers.taplytics.config import TaplyticsConfig
from reconciler.providers.taplytics.diff import diff
from reconciler.providers.taplytics.state import Existing
from reconciler.redaction import Secret

if TYPE_CHECKING:  # the HTTP stack is imported when used (`connect`, `__init__`): `validate` never needs it
    from reconciler.http import ApiClient

DEFAULT_API_URL = "https://api.taplytics.com"
_TOKEN = ("project", "api_token")


@dataclass(frozen=True)
class TokenEndpoint(Endpoint):
    """Where and as whom to talk to one Taplytics project: the API key goes in the x-access-token header."""

    api_url: str
    api_token: Secret


class TaplyticsProvider(Provider[TaplyticsConfig, Existing, TokenEndpoint]):
    """One Taplytics project: the users that must exist, with their fields and custom_data. No rail: its
    changes create users or set their fields, never take anything away."""

    name = "taplytics"
    config_model = TaplyticsConfig
    kinds = Kind
    account_key = ("project", "name")
    environment = ("TAPLYTICS_API_TOKEN", "TAPLYTICS_API_URL")
    account_noun = "project"
    credential_paths = (_TOKEN,)
    secret_fields = (SecretField(_TOKEN, "TAPLYTICS_API_TOKEN"),)
    unique_keys = (UniqueKey(("users",), "user_id", "user_id"),)
    inventory_nouns = ("user",)
    exporter_at = "reconciler.providers.taplytics.export:EXPORTER"  # imported by `export` only
    trusted_hosts = ("api.taplytics.com",)  # the document's one API host
    # The document lists webhooks (a user added, an experiment started): `watch` receives them here.
    webhook = "taplytics"

    def __init__(self, client: ApiClient, loaded: LoadedConfig) -> None:
        super().__init__(loaded)
        from reconciler.providers.taplytics.api import ProjectApi

        self.api = ProjectApi(client, self.config)

    @classmethod
    def account_of(cls, config: TaplyticsConfig) -> str:
        """The project's name."""
        return config.project.name

    @classmethod
    def inventory(cls, config: TaplyticsConfig) -> Mapping[str, int]:
        """Users declared."""
        return {"user": len(config.users)}

    @classmethod
    def endpoint(cls, loaded: LoadedConfig, env: Mapping[str, str]) -> TokenEndpoint:
        """Env TAPLYTICS_API_URL wins over the config, which wins over the default."""
        project = cls.config_of(loaded).project
        value = resolve_variable(loaded, _TOKEN, project.api_token, env)
        if not _fits_a_header(value):
            # It travels in a header: httpx would reject it with an error quoting the value, unredacted (the
            # redactor knows the raw value, not its escaped repr). Say what is wrong, never what it is.
            raise EnvironmentVariableError(
                f"{loaded.where(_TOKEN)}: the API token from {project.api_token} is empty or "
                "has spaces, control or non-ASCII characters (a stray \\r from a .env file?): fix the variable"
            )
        url = env.get("TAPLYTICS_API_URL") or project.api_url or DEFAULT_API_URL
        return TokenEndpoint(url, Secret(value))

    @classmethod
    def default_endpoint(cls, env: Mapping[str, str]) -> TokenEndpoint:
        """From TAPLYTICS_API_TOKEN (and TAPLYTICS_API_URL)."""
        value = env.get("TAPLYTICS_API_TOKEN", "")
        if not _fits_a_header(value):
            raise EnvironmentVariableError(
                "environment variable TAPLYTICS_API_TOKEN is not set or cannot travel in a header: export the "
                "project's API key (or use --sandbox)"
            )
        return TokenEndpoint(env.get("TAPLYTICS_API_URL") or DEFAULT_API_URL, Secret(value))

    @classmethod
    @asynccontextmanager
    async def open(
        cls, loaded: LoadedConfig, endpoint: TokenEndpoint, parallelism: int
    ) -> AsyncIterator[Self]:
        """A provider with its own client; the token travels in the x-access-token header only."""
        async with connect(endpoint, parallelism) as client:
            yield cls(client, loaded)
            client.log_summary()

    async def fetch(self) -> Existing:
        """The declared users that exist (never writes)."""
        return await self.api.fetch()

    @classmethod
    def diff(cls, config: TaplyticsConfig, existing: Existing) -> list[Change]:
        """See ``taplytics.diff``."""
        return diff(config, existing)

    async def execute(self, change: Change) -> None:
        """One POST per change."""
        await self.api.execute(change)

    @classmethod
    def label(cls, change: Change) -> str:
        """See ``taplytics.describe``."""
        return describe.label(change)

    @classmethod
    def describe(cls, change: Change) -> str:
        """See ``taplytics.describe``."""
        return describe.describe(change)


def connect(endpoint: TokenEndpoint, parallelism: int) -> ApiClient:
    """An API client sending the endpoint's token in the x-access-token header (enter it with ``async with``)."""
    from reconciler.http import ApiClient, TokenHeaderAuth

    return ApiClient(endpoint.api_url, TokenHeaderAuth(endpoint.api_token), parallelism=parallelism)


def _fits_a_header(value: str) -> bool:
    return bool(value) and value.isascii() and value.isprintable() and value.strip() == value
