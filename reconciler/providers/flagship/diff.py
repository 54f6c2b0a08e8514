"""The Flagship diff: desired (config) against existing (fetched) -> typed changes. Pure.

Only what the config declares is compared: a campaign's state, the listed users' roles (others are revoked
only with ``users.prune``), the listed flags' type and description (others deleted only with
``flags.prune``), and panic mode when ``panic`` is set.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.core.changes import Change, display_order
from reconciler.providers.flagship.changes import Kind
from reconciler.providers.flagship.config import Campaign, FlagshipConfig
from reconciler.providers.flagship.state import Existing


def campaign_id(entry: Campaign, existing: Existing) -> str:
    """The id a config entry refers to (names were resolved at fetch time)."""
    if entry.id is not None:
        return entry.id
    assert entry.name is not None
    return existing.names[entry.name]


def _panic(config: FlagshipConfig, existing: Existing) -> Iterator[Change]:
    if config.panic is None or existing.panic is None or existing.panic == config.panic:
        return
    env = existing.environment
    yield Change(Kind.PANIC_SET, f"panic:{env}", env, {"panic": existing.panic}, {"panic": config.panic})


def _campaigns(config: FlagshipConfig, existing: Existing) -> Iterator[Change]:
    for entry in config.campaigns:
        have = existing.campaigns[campaign_id(entry, existing)]
        if have.status != entry.state:
            before, after = {"state": have.status}, {"state": entry.state}
            yield Change(Kind.CAMPAIGN_STATE, f"campaign:{have.id}", have.name, before, after)


def _users(config: FlagshipConfig, existing: Existing) -> Iterator[Change]:
    if config.users is None or existing.users is None:
        return
    wanted = {u.email.lower(): u for u in config.users.members}
    for email, user in wanted.items():
        have = existing.users.get(email)
        if have is None:
            yield Change(Kind.USER_ADD, f"user:{email}", user.email, {}, {"role": user.role})
        elif have.role.upper() != user.role:
            yield Change(
                Kind.USER_ROLE, f"user:{email}", have.email, {"role": have.role}, {"role": user.role}
            )
    if config.users.prune:
        for email, have in existing.users.items():
            if email not in wanted:
                yield Change(Kind.USER_REVOKE, f"user:{email}", have.email, {"role": have.role})


def _flags(config: FlagshipConfig, existing: Existing) -> Iterator[Change]:
    if config.flags is None or existing.flags is None:
        return
    wanted = {f.key: f for f in config.flags.keys}
    for key, flag in wanted.items():
        have = existing.flags.get(key)
        if have is None:
            after = {"type": flag.type, "description": flag.description or ""}
            yield Change(Kind.FLAG_CREATE, f"flag:{key}", key, {}, after)
            continue
        before, after = {}, {}
        if have.type != flag.type:
            before["type"], after["type"] = have.type, flag.type
        if flag.description is not None and have.description != flag.description:
            before["description"], after["description"] = have.description, flag.description
        if after:
            yield Change(Kind.FLAG_UPDATE, f"flag:{key}", key, {**before, "id": have.id}, after)
    if config.flags.prune:
        for key, have in existing.flags.items():
            if key not in wanted:
                before = {"type": have.type, "id": have.id}
                yield Change(Kind.FLAG_DELETE, f"flag:{key}", key, before)


def diff(config: FlagshipConfig, existing: Existing) -> list[Change]:
    """Every change that would converge the environment, in display order."""
    parts = (_panic, _campaigns, _users, _flags)
    return display_order([change for part in parts for change in part(config, existing)])
