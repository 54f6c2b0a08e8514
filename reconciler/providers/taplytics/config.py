"""The Taplytics config model (``provider: taplytics``): the project and the users that must exist."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from reconciler.config.drift import DriftPolicy, drift_field
from reconciler.config.models import Email, StrictModel, Text, Url, check_plain_email, located
from reconciler.config.windows import SyncWindow, window_model, windows_field
from reconciler.providers.taplytics.changes import Kind


def _user_id_is_text(value: Any) -> Any:
    # YAML reads `user_id: 12345` as a number; the API's ids are strings, and silently turning 007 into
    # "7" would manage the wrong user. Ask for quotes instead.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(
            "user_id_type", 'user_id must be a string: quote it, e.g. user_id: "{value}"', {"value": value}
        )
    return value


def _user_id_is_one_segment(value: str) -> str:
    # The id is a path segment (/v2/users/{user_id}): "." and ".." are removed by URL normalisation (a
    # proxy, a server) and "/" is decoded back by some, so the request would reach another route.
    if value in (".", "..") or "/" in value or "\\" in value:
        raise PydanticCustomError(
            "user_id_path",
            "user_id '{value}' cannot be used in a URL path: '.', '..' and ids with '/' or '\\' are refused",
            {"value": value},
        )
    return value


UserId = Annotated[Text, BeforeValidator(_user_id_is_text), AfterValidator(_user_id_is_one_segment)]


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


# A sync window's ``changes:`` names this provider's resource types only (a typo is refused at load).
if TYPE_CHECKING:
    TaplyticsSyncWindow = SyncWindow
else:
    TaplyticsSyncWindow = window_model("TaplyticsSyncWindow", Kind)


class Project(StrictModel):
    """The Taplytics project this file describes."""

    name: Text = Field(description="A label for plans and duplicate checks (one project, one file).")
    api_token: Text = Field(
        "${TAPLYTICS_API_TOKEN}", description="The project's REST API key: must be a ${VAR}, never a literal."
    )
    api_url: Url | None = Field(
        None, description="Default https://api.taplytics.com; env TAPLYTICS_API_URL wins."
    )


class User(StrictModel):
    """One user that must exist with these attributes; undeclared fields and custom_data keys are left alone."""

    user_id: UserId = Field(description="The user's id in the project (a string).")
    email: Email | None = Field(None, description="Omitted = not managed.")
    name: Text | None = Field(None, description="Omitted = not managed.")
    custom_data: dict[Annotated[str, Field(min_length=1)], CustomValue] | None = Field(
        None, description="Merged: only the keys listed are set; other keys of the user are left alone."
    )
    allow_unicode_email: bool = Field(
        False, description="Accept an email with non-ASCII or invisible characters (refused by default)."
    )

    @model_validator(mode="after")
    def _something_to_send(self) -> User:
        if self.email is not None:
            check_plain_email(self.email, self.allow_unicode_email)
        if self.email is None and self.name is None and self.custom_data is None:
            raise located(
                "user_empty",
                "a user needs at least one of email, name, custom_data (the API creates a user from them)",
                "user_id",
            )
        return self


class TaplyticsConfig(StrictModel):
    """One Taplytics project: which users exist, with which attributes. Users are never deleted."""

    version: Literal[1] = Field(description="Config language version.")
    provider: Literal["taplytics"]
    project: Project
    users: list[User] = Field(default_factory=list, description="Users not listed are never touched.")
    sync_windows: list[TaplyticsSyncWindow] = windows_field()
    drift: DriftPolicy = drift_field()
