"""The building blocks of every provider's config model (the JSON Schema is generated from the models).

Models are strict (YAML already gives types: ``"1"`` is not an integer) and forbid unknown keys. Strings
holding a ``${VAR}`` are checked for syntax only here: their value is known when a command resolves them.
Checks that span several entries (duplicates) live in ``checks.py``, over the raw data with positions.
Each provider's own model lives in its package (``reconciler/providers/<name>/config.py``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import zoneinfo
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from reconciler.config import env
from reconciler.core.text import escape_non_ascii, suspicious_characters
from reconciler.redaction import is_loopback

LOCAL_DATETIME = "%Y-%m-%dT%H:%M:%S"
_LOCAL_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def has_reference(value: str) -> bool:
    return "${" in value


def _check_references(value: str) -> str:
    problem = env.syntax_error(value)
    if problem:
        raise PydanticCustomError("bad_reference", problem)
    return value


@functools.cache
def _all_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# The suggestion search compares against ~600 zones (about 3 ms); a file of 20,000 bad values asked it
# 20,000 times (60 s of CPU). Remembered per value, and searched for at most this many distinct values.
_SUGGESTIONS_LIMIT = 200
_suggested: dict[str, str | None] = {}


def _closest_timezone(value: str) -> str | None:
    if value not in _suggested:
        if len(_suggested) >= _SUGGESTIONS_LIMIT or len(value) > 64:
            return None  # still refused, only without a did-you-mean
        found = difflib.get_close_matches(value, sorted(_all_timezones()), n=1)
        _suggested[value] = found[0] if found else None
    return _suggested[value]


# Zones whose meaning is this machine's: plans would differ between a laptop and CI.
_MACHINE_ZONES = ("localtime", "Factory", "posixrules")


def _check_timezone(value: str) -> str:
    if has_reference(value):
        return value
    if value in _MACHINE_ZONES:
        raise PydanticCustomError(
            "timezone",
            "timezone '{tz}' depends on the machine that reads it: name the zone, e.g. Europe/Paris",
            {"tz": value},
        )
    if value not in _all_timezones():
        close = _closest_timezone(value)
        hint = f"; did you mean '{close}'?" if close else " (an IANA name such as Europe/Paris)"
        raise PydanticCustomError("timezone", "unknown timezone '{tz}'" + hint, {"tz": value})
    return value


def _check_local_datetime(value: str) -> str:
    if has_reference(value):
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
    if not has_reference(value) and not _EMAIL_RE.fullmatch(value):
        raise PydanticCustomError("email", "'{value}' is not a valid email address", {"value": value})
    return value


def _check_url(value: str) -> str:
    if has_reference(value):
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PydanticCustomError("url", "'{value}' is not an http(s) URL", {"value": value})
    import httpx  # only for a config that sets a URL: `validate` of the others never loads it

    try:
        httpx.URL(value).host  # noqa: B018 - what the client will parse; IDNA is checked lazily, here
    except (httpx.InvalidURL, ValueError) as err:  # IDNAError is a ValueError
        raise PydanticCustomError(
            "url", "'{value}' is not a valid URL ({reason})", {"value": value, "reason": str(err)}
        ) from None
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


#: The config schema's ``$id``: what exported files' modelines point editors at.
SCHEMA_ID = "https://github.com/reconciler/reconciler/schema/reconciler.schema.json"


class StrictModel(BaseModel):
    """Strict types, no unknown keys, immutable: the base of every config model."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def check_plain_email(email: str, allowed: bool, key: str = "email") -> None:
    """Refuse an email with a character that is not printable ASCII unless ``allowed``: a Cyrillic a or a
    zero-width space reads as the address it imitates, in the config and in the plan."""
    odd = suspicious_characters(email)
    if odd and not allowed:
        raise located(
            "unicode_email",
            f"email {escape_non_ascii(email)} has non-ASCII or invisible characters ({', '.join(odd)}): "
            "type it in ASCII, or add 'allow_unicode_email: true' to this entry if it is really meant",
            key,
        )


def located(kind: str, message: str, key: str) -> PydanticCustomError:
    """A model-level error pinned to one of the model's keys (see validate.py)."""
    return PydanticCustomError(kind, message, {"key": key})
