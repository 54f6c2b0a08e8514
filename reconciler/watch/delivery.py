"""An event as it is delivered: stamped, when published, with the time, the account's sync and health
states, the config revision and the status page's link. Every ``notify.SCHEMES`` body reads one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.config.loaded import LoadedConfig
from reconciler.errors import ReconcilerError
from reconciler.watch.events import Event
from reconciler.watch.health import Health, Observed, assess
from reconciler.watch.revision import revision_of


class Account(Observed, Protocol):
    """What a stamp reads of an account (the scheduler's ``AccountStatus``)."""

    loaded: LoadedConfig


@dataclass(frozen=True)
class Delivery:
    """One event and its stamp (``health`` is None for an event of no single account: ``config_error``)."""

    event: Event
    at: float  # Unix time it was published
    revision: str = ""
    page: str | None = None
    health: Health | None = None

    @property
    def timestamp(self) -> str:
        """``2026-11-29T10:00:00Z``."""
        return dt.datetime.fromtimestamp(self.at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def to_json(self) -> dict[str, Any]:
        """The stamp's fields of a JSON body."""
        health = self.health
        return {
            "timestamp": self.timestamp,
            "page": self.page,
            "revision": self.revision or None,
            "sync_status": health.sync.value if health else None,
            "health_status": health.condition.value if health else None,
            "health_reasons": list(health.reasons) if health else [],
        }

    def facts(self) -> list[tuple[str, str]]:
        """The stamp for people, as (name, value) pairs."""
        facts = []
        if self.health is not None:
            facts.append(("sync", self.health.sync.value))
            facts.append(("health", "; ".join([self.health.condition.value, *self.health.reasons])))
        if self.revision:
            facts.append(("config revision", self.revision))
        facts.append(("at", self.timestamp))
        return facts

    def footer(self) -> list[str]:
        """The stamp as lines of text (Slack's message)."""
        return [f"{name}: {value}" for name, value in self.facts()]


def stamp(
    event: Event,
    at: float,
    accounts: Mapping[str, Account],
    paths: tuple[str, ...],
    public_url: str | None,
) -> Delivery:
    """``event`` stamped at ``at``, with the states of the account at ``event.path`` (if one is watched)."""
    account = accounts.get(event.path)
    revision = revision_of(paths, tuple(a.loaded.digest for a in accounts.values())) if paths else ""
    page = public_url.rstrip("/") + "/" if public_url else None
    return Delivery(event, at, revision, page, assess(account) if account is not None else None)


def check_public_url(raw: str | None) -> str | None:
    """``--public-url``: where people reach the status page (behind a proxy: its address, not --listen's);
    an http(s) URL with a host, or a ``ReconcilerError`` naming the option and an example."""
    if raw is None:
        return None
    scheme, sep, rest = raw.partition("://")
    if (
        not sep
        or scheme not in ("http", "https")
        or not rest.split("/", 1)[0]
        or any(c.isspace() for c in raw)
    ):
        raise ReconcilerError(
            f"--public-url {raw!r}: expected the status page's http(s) URL, e.g. https://watch.example.com/"
        )
    return raw
