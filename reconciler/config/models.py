"""The config language, version 1, as pydantic models (the JSON Schema is generated from them).

Models are strict (YAML already gives types: ``"1"`` is not an integer) and forbid unknown keys. Strings
holding a ``${VAR}`` are checked for syntax only here: their value is known when a command resolves them.
Checks that span several entries (duplicates) live in ``checks.py``, over the raw data with positions.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import math
import re
import zoneinfo
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from reconciler.config import env
from reconciler.http.transport import is_loopback  # one definition of 'this machine' for the whole tool

State = Literal["play", "pause"]
Mode = Literal["prod", "preprod"]
Role = Literal["admin", "user", "creator", "viewer"]

LOCAL_DATETIME = "%Y-%m-%dT%H:%M:%S"
_LOCAL_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def _has_reference(value: str) -> bool:
    return "${" in value


def _check_references(value: str) -> str:
    problem = env.syntax_error(value)
    if problem:
        raise PydanticCustomError("bad_reference", problem)
    return value


@functools.cache
def _all_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_timezone(value: str) -> str:
    if _has_reference(value):
        return value
    if value not in _all_timezones():
        close = difflib.get_close_matches(value, sorted(_all_timezones()), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else " (an IANA name such as Europe/Paris)"
        raise PydanticCustomError("timezone", "unknown timezone '{tz}'" + hint, {"tz": value})
    return value


def _check_local_datetime(value: str) -> str:
    if _has_reference(value):
        return value
    try:
        if not _LOCAL_DATETIME_RE.fullmatch(value):
            raise ValueError(value)
        dt.datetime.strptime(value, LOCAL_DATETIME)
    except ValueError:
        raise PydanticCustomError(
            "datetime_format",
            "'{value}' is not a local date-time in the format YYYY-MM-DDTHH:MM:SS (no offset, no fraction; "
            'quote it, e.g. "2026-12-01T09:00:00")',
            {"value": value},
        ) from None
    return value


def _check_email(value: str) -> str:
    if not _has_reference(value) and not _EMAIL_RE.fullmatch(value):
        raise PydanticCustomError("email", "'{value}' is not a valid email address", {"value": value})
    return value


def _check_url(value: str) -> str:
    if _has_reference(value):
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PydanticCustomError("url", "'{value}' is not an http(s) URL", {"value": value})
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise PydanticCustomError(
            "insecure_url",
            "'{value}' uses http:// to a non-loopback host: only https is allowed (http only to 127.0.0.1)",
            {"value": value},
        )
    return value


Text = Annotated[str, Field(min_length=1), AfterValidator(_check_references)]
Timezone = Annotated[Text, AfterValidator(_check_timezone)]
LocalDateTime = Annotated[Text, AfterValidator(_check_local_datetime)]
Email = Annotated[Text, AfterValidator(_check_email)]
Url = Annotated[Text, AfterValidator(_check_url)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def _located(kind: str, message: str, key: str) -> PydanticCustomError:
    """A model-level error pinned to one of the model's keys (see validate.py)."""
    return PydanticCustomError(kind, message, {"key": key})


class Credentials(_Model):
    """Where the API credentials come from: ``${VARS}`` only, configs live in git."""

    client_id: Text = Field("${ABTASTY_CLIENT_ID}", description="OAuth2 client id, usually a ${VAR}.")
    client_secret: Text = Field(
        "${ABTASTY_CLIENT_SECRET}", description="OAuth2 client secret: must be a ${VAR}, never a literal."
    )


class Safety(_Model):
    """Per-account overrides of the apply safety rails."""

    max_delete_fraction: Fraction = Field(
        0.25, description="Refuse to revoke more than this fraction of members (once there are >= 10)."
    )
    max_pause_fraction: Fraction = Field(
        0.5,
        description="Refuse to pause more than this fraction of the managed playing tests (once >= 10 play).",
    )
    min_admins: int = Field(1, ge=0, description="Refuse any plan that leaves fewer admins than this.")


class Account(_Model):
    """The AB Tasty account this file describes."""

    id: int = Field(gt=0, description="AB Tasty account id.")
    credentials: Credentials = Field(default_factory=Credentials)
    api_url: Url | None = Field(
        None, description="Default https://api.abtasty.com; env ABTASTY_API_URL wins."
    )
    auth_url: Url | None = Field(
        None, description="Default https://api2.abtasty.com/oauth/v2/token; env ABTASTY_AUTH_URL wins."
    )
    safety: Safety = Field(default_factory=Safety)


class Schedule(_Model):
    """When a test starts and stops, as local wall time in ``timezone``."""

    start_at: LocalDateTime | None = Field(None, description="YYYY-MM-DDTHH:MM:SS, local time in `timezone`.")
    stop_at: LocalDateTime | None = Field(None, description="YYYY-MM-DDTHH:MM:SS, after start_at.")
    timezone: Timezone = Field(description="IANA timezone name, e.g. Europe/Paris.")

    @model_validator(mode="after")
    def _coherent(self) -> Schedule:
        if self.start_at is None and self.stop_at is None:
            raise _located("schedule_empty", "a schedule needs start_at, stop_at or both", "timezone")
        for key in ("start_at", "stop_at"):
            value = getattr(self, key)
            if value and not _has_reference(value) and not _has_reference(self.timezone):
                _check_exists(value, self.timezone, key)
        start, stop = self.start_at, self.stop_at
        if start and stop and not (_has_reference(start) or _has_reference(stop)) and stop <= start:
            raise _located("schedule_order", f"stop_at {stop} is not after start_at {start}", "stop_at")
        return self


def _check_exists(value: str, timezone: str, key: str) -> None:
    """Refuse wall times that do not exist (the clocks skip them at a DST change)."""
    tz = zoneinfo.ZoneInfo(timezone)
    local = dt.datetime.strptime(value, LOCAL_DATETIME).replace(tzinfo=tz)
    back = local.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    if back != local.replace(tzinfo=None):
        raise _located(
            "nonexistent_time",
            f"{value} does not exist in {timezone} (the clocks skip it at a daylight-saving change)",
            key,
        )


class Test(_Model):
    """One test (campaign), by numeric id or by unique name."""

    id: int | None = Field(None, gt=0, description="Test id; exactly one of id / name.")
    name: Text | None = Field(None, description="Test name, unique in the account; exactly one of id / name.")
    state: State | None = Field(None, description="play | pause; omitted = state not managed.")
    mode: Mode | None = Field(None, description="prod | preprod; only with state: play; default prod.")
    schedule: Schedule | None = None

    @model_validator(mode="after")
    def _one_identity(self) -> Test:
        if self.id is not None and self.name is not None:
            raise _located("identity", "give either id or name, not both", "name")
        if self.id is None and self.name is None:
            raise _located("identity", "a test needs an id or a name", "id")
        if self.mode is not None and self.state != "play":
            raise _located("mode_without_play", "mode is only allowed with 'state: play'", "mode")
        return self

    @property
    def effective_mode(self) -> Mode | None:
        """The mode that play means: the declared one, prod by default; None unless playing."""
        return (self.mode or "prod") if self.state == "play" else None


class Member(_Model):
    """One person with access to the account."""

    email: Email = Field(description="Compared case-insensitively.")
    role: Role = Field(description="admin | user | creator | viewer")


class Memberships(_Model):
    """Who is a member of the account; omit the whole block to leave memberships alone."""

    prune: bool = Field(False, description="Revoke members not listed.")
    members: list[Member] = Field(default_factory=list)


class Script(_Model):
    """The AB Tasty tag script."""

    update_after_apply: bool = Field(True, description="Rebuild the tag script after any test change.")


class AbTastyConfig(_Model):
    """One AB Tasty account: which tests play, their schedules, who is a member."""

    version: Literal[1] = Field(description="Config language version.")
    provider: Literal["abtasty"]
    account: Account
    tests: list[Test] = Field(default_factory=list, description="Tests not listed are never touched.")
    memberships: Memberships | None = Field(None, description="Omitted = memberships not managed.")
    script: Script = Field(default_factory=Script)


def _user_id_is_text(value: Any) -> Any:
    # YAML reads `user_id: 12345` as a number; the API's ids are strings, and silently turning 007 into
    # "7" would manage the wrong user. Ask for quotes instead.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(
            "user_id_type", 'user_id must be a string: quote it, e.g. user_id: "{value}"', {"value": value}
        )
    return value


UserId = Annotated[Text, BeforeValidator(_user_id_is_text)]


def _flat_value(value: Any) -> Any:
    # One clear message rather than one per member of the union (pydantic reports each type it tried).
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError(
            "custom_value", "custom_data values must be finite numbers (JSON has no NaN)"
        )
    if not isinstance(value, str | bool | int | float):
        kind = {dict: "a mapping", list: "a list", type(None): "null"}.get(type(value), type(value).__name__)
        raise PydanticCustomError(
            "custom_value", "expected a string, number or boolean, got {kind}", {"kind": kind}
        )
    return value


CustomValue = Annotated[
    str | bool | int | float,
    BeforeValidator(_flat_value),
    Field(description="A string, number or boolean, compared with its type."),
]


class Project(_Model):
    """The Taplytics project this file describes."""

    name: Text = Field(description="A label for plans and duplicate checks (one project, one file).")
    api_token: Text = Field(
        "${TAPLYTICS_API_TOKEN}", description="The project's REST API key: must be a ${VAR}, never a literal."
    )
    api_url: Url | None = Field(
        None, description="Default https://api.taplytics.com; env TAPLYTICS_API_URL wins."
    )


class User(_Model):
    """One user that must exist with these attributes; undeclared fields and custom_data keys are left alone."""

    user_id: UserId = Field(description="The user's id in the project (a string).")
    email: Email | None = Field(None, description="Omitted = not managed.")
    name: Text | None = Field(None, description="Omitted = not managed.")
    custom_data: dict[Annotated[str, Field(min_length=1)], CustomValue] | None = Field(
        None, description="Merged: only the keys listed are set; other keys of the user are left alone."
    )

    @model_validator(mode="after")
    def _something_to_send(self) -> User:
        if self.email is None and self.name is None and self.custom_data is None:
            raise _located(
                "user_empty",
                "a user needs at least one of email, name, custom_data (the API creates a user from them)",
                "user_id",
            )
        return self


class TaplyticsConfig(_Model):
    """One Taplytics project: which users exist, with which attributes. Users are never deleted."""

    version: Literal[1] = Field(description="Config language version.")
    provider: Literal["taplytics"]
    project: Project
    users: list[User] = Field(default_factory=list, description="Users not listed are never touched.")


Config = AbTastyConfig | TaplyticsConfig
PROVIDERS: dict[str, type[AbTastyConfig] | type[TaplyticsConfig]] = {
    "abtasty": AbTastyConfig,
    "taplytics": TaplyticsConfig,
}
