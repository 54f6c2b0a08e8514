"""The Flagship config model (``provider: flagship``): one account environment per file.

The environment is the unit of the API's credentials (each is scoped to chosen environments) and of panic
mode, so a file names the account and one environment; flags belong to the account and are managed from
whichever file declares them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from reconciler.config.drift import DriftPolicy, drift_field
from reconciler.config.models import Email, Fraction, StrictModel, Text, Url, check_plain_email, located
from reconciler.config.windows import SyncWindow, window_model, windows_field
from reconciler.providers.flagship.changes import Kind

DEFAULT_ACCESS_LOSS_FRACTION = 0.25
CampaignState = Literal["active", "paused", "interrupted"]
FlagType = Literal["string", "boolean", "number", "array", "object"]
#: Every role the pages list: the schema page's two versions name different sets (docs/providers/flagship.md).
Role = Literal[
    "VIEWER", "USER", "CREATOR", "ADMIN", "ACCOUNT_ADMIN", "OWNER",
    "GUEST", "MEMBER", "PROJECT_MANAGER", "SUPER_ADMIN", "ACCOUNT_OWNER",
]  # fmt: skip


def _on_off(value: object) -> object:
    # YAML 1.1 readers (and people) write panic: on / off unquoted, which some read as booleans.
    if isinstance(value, bool):
        return "on" if value else "off"
    return value


Panic = Annotated[Literal["on", "off"], BeforeValidator(_on_off)]


# A sync window's ``changes:`` names this provider's resource types only (a typo is refused at load).
if TYPE_CHECKING:
    FlagshipSyncWindow = SyncWindow
else:
    FlagshipSyncWindow = window_model("FlagshipSyncWindow", Kind)


class Credentials(StrictModel):
    """The Remote Control API access: ``${VARS}`` only, configs live in git."""

    client_id: Text = Field("${FLAGSHIP_CLIENT_ID}", description="The access's client id, usually a ${VAR}.")
    client_secret: Text = Field(
        "${FLAGSHIP_CLIENT_SECRET}",
        description="The access's client secret: must be a ${VAR}, never a literal.",
    )


class Safety(StrictModel):
    """Per-environment overrides of the apply safety rails."""

    max_access_loss_fraction: Fraction = Field(
        DEFAULT_ACCESS_LOSS_FRACTION,
        description="Refuse to revoke or demote more than this fraction of users (once there are >= 10).",
    )
    min_admins: int = Field(1, ge=0, description="Refuse any plan that leaves fewer admins than this.")


class Account(StrictModel):
    """The account and the one environment this file describes."""

    id: Text = Field(description="Account id (Settings > Account).")
    environment: Text = Field(description="Account environment id: the unit of credentials and panic mode.")
    credentials: Credentials = Field(default_factory=Credentials)
    api_url: Url | None = Field(
        None, description="Default https://api.flagship.io/v1; env FLAGSHIP_API_URL wins."
    )
    auth_url: Url | None = Field(
        None, description="Token host, default https://auth.flagship.io; env FLAGSHIP_AUTH_URL wins."
    )
    safety: Safety = Field(default_factory=Safety)


class Campaign(StrictModel):
    """One campaign (feature) by id or unique name, and the state it must be in."""

    id: Text | None = Field(None, description="Campaign id; exactly one of id / name.")
    name: Text | None = Field(None, description="Campaign name, unique in the environment.")
    state: CampaignState = Field(description="active | paused | interrupted (set through the toggle route).")

    @model_validator(mode="after")
    def _one_identity(self) -> Campaign:
        if self.id is not None and self.name is not None:
            raise located("identity", "give either id or name, not both", "name")
        if self.id is None and self.name is None:
            raise located("identity", "a campaign needs an id or a name", "id")
        return self


class User(StrictModel):
    """One person with access to the environment."""

    email: Email = Field(description="Compared case-insensitively.")
    role: Role = Field(description="One of the roles the API lists (ADMIN, CREATOR, VIEWER...).")
    allow_unicode_email: bool = Field(
        False, description="Accept an email with non-ASCII or invisible characters (refused by default)."
    )

    @model_validator(mode="after")
    def _plain_email(self) -> User:
        check_plain_email(self.email, self.allow_unicode_email)
        return self


class Users(StrictModel):
    """Who has access to the environment; omit the block to leave users alone."""

    prune: bool = Field(False, description="Revoke users not listed.")
    members: list[User] = Field(default_factory=list)


class Flag(StrictModel):
    """One flag of the account, by key (the API's flag name)."""

    key: Text = Field(description="The flag's key, as the SDKs read it.")
    type: FlagType
    description: str | None = Field(None, description="Omitted = not managed (created empty).")


class Flags(StrictModel):
    """Flags that must exist; omit the block to leave flags alone."""

    prune: bool = Field(False, description="Delete flags not listed (their campaigns stop reading them).")
    keys: list[Flag] = Field(default_factory=list)


class FlagshipConfig(StrictModel):
    """One Flagship account environment: campaign states, users, panic mode, flags."""

    version: Literal[1] = Field(description="Config language version.")
    provider: Literal["flagship"]
    account: Account
    panic: Panic | None = Field(None, description="on | off; omitted = not managed. on needs --force.")
    campaigns: list[Campaign] = Field(
        default_factory=list, description="Campaigns not listed are never touched."
    )
    users: Users | None = Field(None, description="Omitted = users not managed.")
    flags: Flags | None = Field(None, description="Omitted = flags not managed.")
    sync_windows: list[FlagshipSyncWindow] = windows_field()
    drift: DriftPolicy = drift_field()
