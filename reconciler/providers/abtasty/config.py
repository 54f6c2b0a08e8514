"""The AB Tasty config model (``provider: abtasty``): the account, its tests, its members, the tag script."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from reconciler.config.drift import DriftPolicy, drift_field
from reconciler.config.models import (
    LOCAL_DATETIME,
    Email,
    Fraction,
    LocalDateTime,
    StrictModel,
    Text,
    Timezone,
    Url,
    check_plain_email,
    has_reference,
    located,
)
from reconciler.config.windows import SyncWindow, window_model, windows_field
from reconciler.providers.abtasty.changes import Kind

DEFAULT_ACCESS_LOSS_FRACTION = 0.25
State = Literal["play", "pause"]
Mode = Literal["prod", "preprod"]
Role = Literal["admin", "user", "creator", "viewer"]
#: The document's test types (``filter[type][]``).
TestType = Literal[
    "ab", "mastersegment", "predictive", "segmentation", "tunnel", "mvt", "multipage", "multivariate",
    "subsegment", "mobileapp", "heatmap",
]  # fmt: skip


def _flag(value: object) -> object:
    """The document's flags are 0/1; YAML's true/false reads better. Either is accepted, kept as a bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise PydanticCustomError("flag", "expected true/false (or 1/0)")


Flag = Annotated[
    bool, BeforeValidator(_flag), WithJsonSchema({"anyOf": [{"type": "boolean"}, {"enum": [0, 1]}]})
]


# A sync window's ``changes:`` names this provider's resource types only (a typo is refused at load).
if TYPE_CHECKING:
    AbTastySyncWindow = SyncWindow
else:
    AbTastySyncWindow = window_model("AbTastySyncWindow", Kind)


class Credentials(StrictModel):
    """Where the API credentials come from: ``${VARS}`` only, configs live in git."""

    client_id: Text = Field("${ABTASTY_CLIENT_ID}", description="OAuth2 client id, usually a ${VAR}.")
    client_secret: Text = Field(
        "${ABTASTY_CLIENT_SECRET}", description="OAuth2 client secret: must be a ${VAR}, never a literal."
    )


class Safety(StrictModel):
    """Per-account overrides of the apply safety rails."""

    max_access_loss_fraction: Fraction | None = Field(
        None,
        description="Refuse to revoke or demote more than this fraction of members (once there are >= 10); "
        "default 0.25.",
    )
    max_delete_fraction: Fraction | None = Field(
        None,
        description="The old name of max_access_loss_fraction (it counted revocations only), still read.",
    )
    max_pause_fraction: Fraction = Field(
        0.5,
        description="Refuse to stop (pause, move to preprod, schedule to an end) more than this fraction of "
        "the account's playing tests (once >= 10 play).",
    )
    max_pause_count: int | None = Field(
        None,
        ge=0,
        description="Refuse to stop more than this many playing tests in one plan, whatever the fraction "
        "(--force overrides). Default: no count cap.",
    )
    min_admins: int = Field(1, ge=0, description="Refuse any plan that leaves fewer admins than this.")

    @model_validator(mode="after")
    def _one_name(self) -> Safety:
        if self.max_access_loss_fraction is not None and self.max_delete_fraction is not None:
            raise located(
                "renamed",
                "max_delete_fraction is the old name of max_access_loss_fraction: keep one",
                "max_delete_fraction",
            )
        return self

    @property
    def access_loss_fraction(self) -> float:
        """The limit in force, under either name (0.25 by default)."""
        for value in (self.max_access_loss_fraction, self.max_delete_fraction):
            if value is not None:
                return value
        return DEFAULT_ACCESS_LOSS_FRACTION


class Account(StrictModel):
    """The AB Tasty account this file describes."""

    id: int = Field(gt=0, description="AB Tasty account id.")
    credentials: Credentials = Field(default_factory=Credentials)
    api_url: Url | None = Field(
        None,
        description="Tests, play, pause, schedule. Default https://api.abtasty.com; env ABTASTY_API_URL wins.",
    )
    api2_url: Url | None = Field(
        None,
        description="Membership and the tag script. Default: api_url when that is set, else "
        "https://api2.abtasty.com; env ABTASTY_API2_URL wins.",
    )
    auth_url: Url | None = Field(
        None, description="Default https://api2.abtasty.com/oauth/v2/token; env ABTASTY_AUTH_URL wins."
    )
    safety: Safety = Field(default_factory=Safety)


class Schedule(StrictModel):
    """When a test starts and stops, as local wall time in ``timezone``."""

    start_at: LocalDateTime | None = Field(None, description="YYYY-MM-DDTHH:MM:SS, local time in `timezone`.")
    stop_at: LocalDateTime | None = Field(None, description="YYYY-MM-DDTHH:MM:SS, after start_at.")
    timezone: Timezone = Field(description="IANA timezone name, e.g. Europe/Paris.")

    @model_validator(mode="after")
    def _coherent(self) -> Schedule:
        if self.start_at is None and self.stop_at is None:
            raise located("schedule_empty", "a schedule needs start_at, stop_at or both", "timezone")
        for key in ("start_at", "stop_at"):
            value = getattr(self, key)
            if value and not has_reference(value):
                _check_whole_minute(value, key)
            if value and not has_reference(value) and not has_reference(self.timezone):
                _check_exists(value, self.timezone, key)
        start, stop = self.start_at, self.stop_at
        if start and stop and not (has_reference(start) or has_reference(stop)) and stop <= start:
            raise located("schedule_order", f"stop_at {stop} is not after start_at {start}", "stop_at")
        return self


def _check_whole_minute(value: str, key: str) -> None:
    """Refuse seconds: every schedule in the document ends ``:00`` (AB:978), and a server that stores
    minutes would read 09:00:30 back as 09:00:00, a change on every plan."""
    if not value.endswith(":00"):
        raise located(
            "schedule_seconds",
            f"{value} has seconds; AB Tasty schedules are to the minute: write {value[:-3]}:00",
            key,
        )


def _check_exists(value: str, timezone: str, key: str) -> None:
    """Refuse wall times that do not exist (the clocks skip them at a DST change)."""
    tz = zoneinfo.ZoneInfo(timezone)
    local = dt.datetime.strptime(value, LOCAL_DATETIME).replace(tzinfo=tz)
    back = local.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    if back != local.replace(tzinfo=None):
        raise located(
            "nonexistent_time",
            f"{value} does not exist in {timezone} (the clocks skip it at a daylight-saving change)",
            key,
        )


class Selector(StrictModel):
    """Tests chosen by what they are, through the test list's filters (``filter[type][]`` ...): every key
    set must hold (AND), each list means any of its values (OR), as the document's filters do."""

    all: Literal[True] | None = Field(None, description="Every test of the account (alone: no other key).")
    type: list[TestType] | None = Field(None, min_length=1, description="filter[type][]: any of these types.")
    folder: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, min_length=1, description="filter[folder][]: folder ids (0 = no folder)."
    )
    tag: list[Text] | None = Field(None, min_length=1, description="filter[tag][]: has any of these tags.")
    exclude_tag: list[Text] | None = Field(
        None, min_length=1, description="filter[exclude_tag][]: has none of these tags."
    )
    name: Text | None = Field(None, description="filter[name]: the name contains this (any case).")
    active: Flag | None = Field(None, description="filter[active]: true/1 playing, false/0 paused.")
    is_preprod: Flag | None = Field(None, description="filter[is_preprod]: in preprod (true) or not (false).")
    is_schedule: Flag | None = Field(None, description="filter[is_schedule]: has a schedule (true) or not.")

    @model_validator(mode="after")
    def _not_empty(self) -> Selector:
        keys = self.filters()
        if self.all and keys:
            raise located("select_all", f"'all: true' selects every test: drop it or {keys[0]}", "all")
        if not self.all and not keys:
            raise located(
                "select_empty",
                "an empty selector would match every test: write 'select: {all: true}' if that is meant",
                "all",
            )
        return self

    def filters(self) -> list[str]:
        """The filter keys this selector sets, in the model's order (``all`` aside)."""
        return [k for k in type(self).model_fields if k != "all" and getattr(self, k) is not None]


class Test(StrictModel):
    """One test (campaign), by numeric id, by unique name, or every test a selector matches."""

    id: int | None = Field(None, gt=0, description="Test id; exactly one of id / name / select.")
    name: Text | None = Field(
        None, description="Test name, unique in the account; exactly one of id / name / select."
    )
    select: Selector | None = Field(
        None,
        description="Every test the list's filters match (read at each plan, so new tests are caught); "
        "an id / name entry wins over it for its test.",
    )
    state: State | None = Field(None, description="play | pause; omitted = state not managed.")
    mode: Mode | None = Field(None, description="prod | preprod; only with state: play; default prod.")
    schedule: Schedule | None = None

    @model_validator(mode="after")
    def _one_identity(self) -> Test:
        given = [k for k in ("id", "name", "select") if getattr(self, k) is not None]
        if len(given) > 1:
            what = "id or name" if "select" not in given else "id, name or select"
            raise located("identity", f"give either {what}, not both", given[1])
        if not given:
            raise located("identity", "a test needs an id or a name (or a select)", "id")
        if self.select is not None and self.state is None and self.schedule is None:
            raise located(
                "select_idle", "a selector manages nothing: give it a state or a schedule", "select"
            )
        if self.mode is not None and self.state != "play":
            raise located("mode_without_play", "mode is only allowed with 'state: play'", "mode")
        return self

    @property
    def effective_mode(self) -> Mode | None:
        """The mode that play means: the declared one, prod by default; None unless playing."""
        return (self.mode or "prod") if self.state == "play" else None


class Member(StrictModel):
    """One person with access to the account."""

    email: Email = Field(description="Compared case-insensitively.")
    role: Role = Field(description="admin | user | creator | viewer")
    allow_unicode_email: bool = Field(
        False, description="Accept an email with non-ASCII or invisible characters (refused by default)."
    )

    @model_validator(mode="after")
    def _plain_email(self) -> Member:
        check_plain_email(self.email, self.allow_unicode_email)
        return self


class Memberships(StrictModel):
    """Who is a member of the account; omit the whole block to leave memberships alone."""

    prune: bool = Field(False, description="Revoke members not listed.")
    members: list[Member] = Field(default_factory=list)


class Script(StrictModel):
    """The AB Tasty tag script."""

    update_after_apply: bool = Field(True, description="Rebuild the tag script after any test change.")


class AbTastyConfig(StrictModel):
    """One AB Tasty account: which tests play, their schedules, who is a member."""

    version: Literal[1] = Field(description="Config language version.")
    provider: Literal["abtasty"]
    account: Account
    tests: list[Test] = Field(default_factory=list, description="Tests not listed are never touched.")
    memberships: Memberships | None = Field(None, description="Omitted = memberships not managed.")
    script: Script = Field(default_factory=Script)
    sync_windows: list[AbTastySyncWindow] = windows_field()
    drift: DriftPolicy = drift_field()
