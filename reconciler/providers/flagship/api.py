"""Flagship Remote Control API: the reads and the calls of one change, for one account environment.

Reads: the campaigns of the environment (names resolved to ids), its users, the account's flags, and the
environment itself for its panic mode, each only when the config manages it. Writes, one call each:
``PATCH .../campaigns/{id}/toggle {"state"}`` (never the campaign update, which replaces its variation
groups), ``PUT .../users [{email, role}]`` (adds or sets), ``DELETE .../users`` naming the email under both
parameter spellings the pages use (``email[]`` and ``emails[]``: a server reads its own and ignores the
other), ``PATCH .../panic {"panic"}``, and ``POST`` / ``PATCH`` / ``DELETE`` of ``/accounts/{id}/flags``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import quote

from reconciler.config.loaded import LoadedConfig
from reconciler.core.changes import Change
from reconciler.core.tasks import all_or_cancel
from reconciler.errors import NotFoundError, ResolveError, ServerError, TransportError
from reconciler.http import ApiClient, field, optional_field
from reconciler.http.bodies import Route, malformed
from reconciler.providers.flagship.changes import Kind
from reconciler.providers.flagship.config import FlagshipConfig
from reconciler.providers.flagship.paging import list_all
from reconciler.providers.flagship.state import Existing, ExistingCampaign, ExistingFlag, ExistingUser


def _segment(value: str) -> str:
    return quote(value, safe="")


class EnvironmentApi:
    """One account environment's calls, through ``client`` (a bearer token from the token route). The reads
    need no config (``export`` has none); ``fetch`` reads what a config manages."""

    def __init__(self, client: ApiClient, account: str, environment: str) -> None:
        self.client, self.account, self.environment = client, account, environment
        self.account_path = f"/accounts/{_segment(account)}"
        self.env_path = f"{self.account_path}/account_environments/{_segment(environment)}"

    async def fetch(self, loaded: LoadedConfig, config: FlagshipConfig) -> Existing:
        """The state of what ``config`` (the file of ``loaded``) manages (never writes)."""
        parts = (bool(config.campaigns), config.users is not None, config.flags is not None)
        existing = await self.read(*parts, panic=config.panic is not None)
        if config.campaigns:
            existing.names.update(_resolve(loaded, config, existing.campaigns))
        return existing

    async def read(
        self, campaigns: bool = True, users: bool = True, flags: bool = True, panic: bool = True
    ) -> Existing:
        """The parts asked for, read at once (the others ``None``, or no campaigns); the first error cancels
        the other reads (``core.tasks``)."""
        found = asyncio.ensure_future(self.campaigns() if campaigns else _none())
        people = asyncio.ensure_future(self.users() if users else _none())
        keys = asyncio.ensure_future(self.flags() if flags else _none())
        mode = asyncio.ensure_future(self.panic() if panic else _none())
        await all_or_cancel([found, people, keys, mode])
        return Existing(
            self.account,
            self.environment,
            campaigns={c.id: c for c in found.result() or []},
            users=people.result(),
            flags=keys.result(),
            panic=mode.result(),
        )

    async def campaigns(self) -> list[ExistingCampaign]:
        path = f"{self.env_path}/campaigns"
        return [
            ExistingCampaign(
                field(c, "id", str, f"GET {path}"),
                optional_field(c, "name", str, f"GET {path}") or "",
                optional_field(c, "status", str, f"GET {path}") or "",
            )
            for c in await list_all(self.client, path)
        ]

    async def users(self) -> dict[str, ExistingUser]:
        path = f"{self.env_path}/users"
        users = {}
        for u in await list_all(self.client, path):
            email = field(u, "email", str, f"GET {path}")
            users[email.lower()] = ExistingUser(email, field(u, "role", str, f"GET {path}"))
        return users

    async def flags(self) -> dict[str, ExistingFlag]:
        path = f"{self.account_path}/flags"
        route = f"GET {path}"
        flags = {}
        for f in await list_all(self.client, path):
            key = field(f, "name", str, route)
            flags[key] = ExistingFlag(
                field(f, "id", str, route),
                key,
                optional_field(f, "type", str, route) or "",
                optional_field(f, "description", str, route) or "",
            )
        return flags

    async def panic(self) -> str:
        """``on`` / ``off``: the environment's ``panic``, a boolean or the words the panic route takes."""
        body = await self.client.get_json(self.env_path)
        value = body.get("panic") if isinstance(body, dict) else None
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, str) and value.lower() in ("on", "off"):
            return value.lower()
        raise malformed(Route.parse(f"GET {self.env_path}"), "'panic'", value, "true/false or on/off")

    async def execute(self, change: Change) -> None:
        """One change, one call."""
        match change.kind:
            case Kind.PANIC_SET:
                await self._write("PATCH", f"{self.env_path}/panic", {"panic": change.after["panic"]})
            case Kind.CAMPAIGN_STATE:
                path = f"{self.env_path}/campaigns/{_segment(change.key)}/toggle"
                await self._write("PATCH", path, {"state": change.after["state"]})
            case Kind.USER_ADD | Kind.USER_ROLE:
                body = [{"email": change.name, "role": change.after["role"]}]
                await self._write("PUT", f"{self.env_path}/users", body)
            case Kind.USER_REVOKE:
                params = {"email[]": change.name, "emails[]": change.name}
                await self.client.request("DELETE", f"{self.env_path}/users", params=params, idempotent=True)
            case _:
                await self._flag(change)

    async def _write(self, method: str, path: str, body: Any) -> None:
        # Each sets a value: sending it twice leaves the same state, so it is safe after a lost answer.
        await self.client.request(method, path, json=body, idempotent=True)

    async def _flag(self, change: Change) -> None:
        path = f"{self.account_path}/flags"
        if change.kind is Kind.FLAG_CREATE:
            await self._create_flag(path, change)
        elif change.kind is Kind.FLAG_UPDATE:
            await self._write("PATCH", f"{path}/{_segment(change.before['id'])}", dict(change.after))
        else:
            # Already gone (a lost answer, or someone else): the plan's end state holds.
            with contextlib.suppress(NotFoundError):
                flag = _segment(change.before["id"])
                await self.client.request("DELETE", f"{path}/{flag}", idempotent=True)

    async def _create_flag(self, path: str, change: Change) -> None:
        """``POST`` the flag. It is never repeated blindly (a second POST of a committed one duplicates
        it): after a failed answer (5xx, a lost connection) the flags are read again, and the POST is sent
        once more only if the flag is not there."""
        body = {"name": change.key, "source": "manual", **change.after}
        try:
            await self.client.request("POST", path, json=body)
        except (ServerError, TransportError):
            if change.key in await self.flags():
                return  # the first POST was committed; only its answer was lost
            await self.client.request("POST", path, json=body)


async def _none() -> None:
    return None


def _resolve(
    loaded: LoadedConfig, config: FlagshipConfig, found: dict[str, ExistingCampaign]
) -> dict[str, str]:
    """Each ``name:`` entry's id; an unknown id or name, or a name two campaigns share, is a
    ``ResolveError`` naming the YAML line."""
    by_name: dict[str, list[str]] = {}
    for campaign in found.values():
        by_name.setdefault(campaign.name, []).append(campaign.id)
    names, problems = {}, []
    env = config.account.environment
    for index, entry in enumerate(config.campaigns):
        if entry.id is not None:
            if entry.id not in found:
                where = loaded.where(("campaigns", index, "id"))
                problems.append(f"{where}: campaign {entry.id} is not in environment {env}")
            continue
        assert entry.name is not None
        ids = by_name.get(entry.name, [])
        if len(ids) == 1:
            names[entry.name] = ids[0]
            continue
        where = loaded.where(("campaigns", index, "name"))  # only for a problem: it builds the positions
        if not ids:
            problems.append(f"{where}: no campaign named {entry.name!r} in environment {env}")
        else:
            problems.append(
                f"{where}: {len(ids)} campaigns are named {entry.name!r} ({', '.join(sorted(ids))}): "
                "give the id instead"
            )
    if problems:
        raise ResolveError("\n".join(problems))
    return names
