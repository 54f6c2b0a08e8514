"""load -> fetch -> diff -> plan -> safety -> apply, with providers and endpoints injected.

No printing here: the CLI renders what this returns. ``on_event`` receives progress / outcome lines.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler import __version__
from reconciler.config import env as envmod
from reconciler.config.load import LoadedConfig
from reconciler.config.models import TaplyticsConfig
from reconciler.config.yaml import Loc
from reconciler.core.changes import Change, Kind
from reconciler.core.plan import AccountPlan, make_plan
from reconciler.core.state import Existing
from reconciler.errors import EnvironmentVariableError, PlanError, ReconcilerError
from reconciler.http import ApiClient, OAuth2ClientCredentials, Secret, TokenHeaderAuth
from reconciler.providers.abtasty import AbTastyProvider
from reconciler.providers.base import Provider
from reconciler.providers.taplytics import TaplyticsProvider

DEFAULT_API_URL = "https://api.abtasty.com"
DEFAULT_AUTH_URL = "https://api2.abtasty.com/oauth/v2/token"
DEFAULT_TAPLYTICS_URL = "https://api.taplytics.com"
Events = Callable[[str], None]


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to talk to one AB Tasty account. The secret never leaves its ``Secret`` wrapper."""

    api_url: str
    auth_url: str
    client_id: str
    client_secret: Secret


@dataclass(frozen=True)
class TokenEndpoint:
    """Where and as whom to talk to one Taplytics project: the API key goes in the x-access-token header."""

    api_url: str
    api_token: Secret


AnyEndpoint = Endpoint | TokenEndpoint
#: Endpoints that replace what the configs say, by provider name (``--sandbox``).
Overrides = Mapping[str, AnyEndpoint]


def _resolve_secret(loaded: LoadedConfig, loc: Loc, raw: str, env: Mapping[str, str]) -> str:
    try:
        return envmod.interpolate(raw, env)
    except envmod.UnsetVariable as unset:
        raise EnvironmentVariableError(
            f"{loaded.where(loc)}: environment variable {unset.name} is not set: "
            f"export it with the {loc[0]}'s {loc[-1]}"
        ) from None


def endpoint_for(
    loaded: LoadedConfig, env: Mapping[str, str], override: Overrides | None = None
) -> AnyEndpoint:
    """Env ABTASTY_API_URL / ABTASTY_AUTH_URL / TAPLYTICS_API_URL win over the config, which wins over the
    defaults. Secrets are wrapped the moment they are read (which registers them with the redactor)."""
    config = loaded.config
    if override is not None and config.provider in override:
        return override[config.provider]
    if isinstance(config, TaplyticsConfig):
        project = config.project
        value = _resolve_secret(loaded, ("project", "api_token"), project.api_token, env)
        if not (value.isascii() and value.isprintable() and value.strip() == value and value):
            # It travels in a header: httpx would reject it with an error quoting the value, unredacted (the
            # redactor knows the raw value, not its escaped repr). Say what is wrong, never what it is.
            raise EnvironmentVariableError(
                f"{loaded.where(('project', 'api_token'))}: the API token from {project.api_token} is empty or "
                "has spaces, control or non-ASCII characters (a stray \\r from a .env file?): fix the variable"
            )
        token = Secret(value)
        return TokenEndpoint(env.get("TAPLYTICS_API_URL") or project.api_url or DEFAULT_TAPLYTICS_URL, token)
    account = config.account
    creds = account.credentials
    secret = Secret(
        _resolve_secret(loaded, ("account", "credentials", "client_secret"), creds.client_secret, env)
    )
    return Endpoint(
        api_url=env.get("ABTASTY_API_URL") or account.api_url or DEFAULT_API_URL,
        auth_url=env.get("ABTASTY_AUTH_URL") or account.auth_url or DEFAULT_AUTH_URL,
        client_id=_resolve_secret(loaded, ("account", "credentials", "client_id"), creds.client_id, env),
        client_secret=secret,
    )


@asynccontextmanager
async def open_provider(
    loaded: LoadedConfig, endpoint: AnyEndpoint, parallelism: int
) -> AsyncIterator[Provider]:
    """A provider with its own client (connection pool, token, request count) for one account."""
    auth: httpx.Auth
    if isinstance(endpoint, TokenEndpoint):
        auth = TokenHeaderAuth(endpoint.api_token)
    else:
        auth = OAuth2ClientCredentials(endpoint.auth_url, endpoint.client_id, endpoint.client_secret)
    async with ApiClient(endpoint.api_url, auth, parallelism=parallelism) as client:
        if isinstance(loaded.config, TaplyticsConfig):
            yield TaplyticsProvider(client, loaded)
        else:
            yield AbTastyProvider(client, loaded)
        client.log_summary()


async def plan_account(loaded: LoadedConfig, provider: Provider) -> AccountPlan:
    """Fetch and plan one account."""
    existing = await provider.fetch()
    return make_plan(loaded.path, loaded.config, existing, loaded.digest)


_RESOURCE_TYPES = {"abtasty": {"test", "member", "script"}, "taplytics": {"user"}}


def _check_resources(plan: AccountPlan) -> None:
    """A hand-edited plan is refused before any request when a resource cannot be the provider's, an id is
    not a number where the API wants one, or a change's kind does not fit its resource ("test_state" on a
    "member")."""
    allowed = _RESOURCE_TYPES.get(plan.provider, set())
    pairs: list[tuple[str, str | None]] = [(c.resource, c.kind.value.partition("_")[0]) for c in plan.changes]
    pairs += [(resource, None) for resource in plan.fingerprints]
    for resource, kind_type in pairs:
        rtype, _, key = resource.partition(":")
        numeric = rtype in ("test", "script")
        if rtype not in allowed or (numeric and not key.isdigit()) or kind_type not in (None, rtype):
            raise PlanError(
                f"not a reconciler plan file: {plan.path}: resource {resource!r} cannot be in a {plan.provider} "
                "plan: run plan --out again"
            )


def check_saved_plan(document: Mapping[str, Any], configs: Sequence[LoadedConfig]) -> list[AccountPlan]:
    """Refuse a plan file from another version or for other config; return its account plans."""
    version = document.get("reconciler_version")
    if version != __version__:
        raise PlanError(f"the plan was made by reconciler {version}, this is {__version__}: run plan again")
    try:
        plans = [AccountPlan.from_dict(a) for a in document.get("accounts", [])]
    except (KeyError, TypeError, ValueError, AttributeError) as err:  # a truncated or hand-edited file
        raise PlanError(
            f"not a reconciler plan file ({err.__class__.__name__}: {err}): run plan --out again"
        ) from None
    for plan in plans:
        _check_resources(plan)
    digests = {c.path: c.digest for c in configs}
    if sorted(digests) != sorted(p.path for p in plans):
        raise PlanError(
            f"the plan covers {', '.join(sorted(p.path for p in plans)) or 'nothing'} but the config given is "
            f"{', '.join(sorted(digests))}: run plan again with the same files"
        )
    changed = [p.path for p in plans if digests[p.path] != p.config_digest]
    if changed:
        raise PlanError(f"the config changed since the plan was made ({', '.join(changed)}): run plan again")
    return plans


def raise_if_stale(saved: AccountPlan, existing: Existing) -> None:
    """The stale-plan check of ``apply --plan``: every touched resource must still be as the plan saw it."""
    moved = [r for r, seen in saved.fingerprints.items() if existing.fingerprint(r) != seen]
    if moved:
        names = ", ".join(r.replace(":", " ", 1) for r in moved)
        raise PlanError(f"stale plan: {saved.path}: {names} changed since the plan was made; run plan again")


@dataclass
class Outcome:
    """What happened to one change during apply."""

    change: Change
    status: str = "pending"  # applied | failed | skipped
    reason: str = ""


@dataclass
class ApplyResult:
    """The outcomes of one account's apply, in plan order."""

    plan: AccountPlan
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many outcomes have ``status``."""
        return sum(o.status == status for o in self.outcomes)


def dependencies(changes: Sequence[Change]) -> dict[int, tuple[list[int], list[int]]]:
    """For each change: (changes it waits for, changes whose failure skips it).

    - a test's state waits for, and requires, that test's schedule;
    - downgrades and revocations wait for every add and upgrade, and require those that grant admin
      when they take an admin away (so the admin count never dips below what the plan ends with);
    - the script update waits for every test change (it runs if at least one succeeded).
    """
    deps: dict[int, tuple[list[int], list[int]]] = {}
    grants = [i for i, c in enumerate(changes) if c.grants]
    admin_grants = [i for i in grants if changes[i].admin_delta > 0]
    tests = [i for i, c in enumerate(changes) if c.is_test_change]
    for i, change in enumerate(changes):
        waits: list[int] = []
        requires: list[int] = []
        if change.kind is Kind.TEST_STATE:
            requires = [
                j for j in tests if changes[j].kind is Kind.TEST_SCHEDULE and changes[j].key == change.key
            ]
            waits = list(requires)
        elif change.takes_away:
            waits = list(grants)
            requires = admin_grants if change.admin_delta < 0 else []
        elif change.kind is Kind.SCRIPT_UPDATE:
            waits = list(tests)
        deps[i] = (waits, requires)
    return deps


async def apply_account(
    plan: AccountPlan, provider: Provider, parallelism: int, on_event: Events
) -> ApplyResult:
    """Run every change as soon as what it waits for is done; attempt all that do not depend on a failure."""
    changes = list(plan.changes)
    result = ApplyResult(plan, [Outcome(c) for c in changes])
    done = [asyncio.Event() for _ in changes]
    deps = dependencies(changes)
    limit = asyncio.Semaphore(parallelism)

    async def run(i: int) -> None:
        outcome = result.outcomes[i]
        waits, requires = deps[i]
        await asyncio.gather(*(done[j].wait() for j in waits))
        failed = [j for j in requires if result.outcomes[j].status != "applied"]
        tests_ok = any(result.outcomes[j].status == "applied" for j in waits)
        if failed or (outcome.change.kind is Kind.SCRIPT_UPDATE and not tests_ok):
            outcome.status, outcome.reason = "skipped", _skip_reason(changes, failed)
        else:
            async with limit:
                try:
                    await provider.execute(outcome.change)
                    outcome.status = "applied"
                except ReconcilerError as err:
                    outcome.status, outcome.reason = "failed", str(err)
        on_event(
            f"{outcome.status}: {outcome.change.resource}"
            + (f" ({outcome.reason})" if outcome.reason else "")
        )
        done[i].set()

    await asyncio.gather(*(run(i) for i in range(len(changes))))
    return result


def _skip_reason(changes: Sequence[Change], failed: list[int]) -> str:
    if not failed:
        return "no test change succeeded"
    return "depends on failed " + ", ".join(f"{changes[j].kind.value} {changes[j].resource}" for j in failed)


Confirm = Callable[[list[AccountPlan]], Any]


async def run_plan(
    configs: Sequence[LoadedConfig], env: Mapping[str, str], override: Overrides | None, parallelism: int
) -> list[AccountPlan]:
    """Plan every account concurrently (credentials are checked for all before any request)."""
    endpoints = [endpoint_for(c, env, override) for c in configs]

    async def one(loaded: LoadedConfig, endpoint: AnyEndpoint) -> AccountPlan:
        async with open_provider(loaded, endpoint, parallelism) as provider:
            return await plan_account(loaded, provider)

    return list(await asyncio.gather(*(one(c, e) for c, e in zip(configs, endpoints, strict=True))))


async def run_apply(
    configs: Sequence[LoadedConfig],
    env: Mapping[str, str],
    override: Overrides | None,
    *,
    parallelism: int,
    force: bool,
    saved: Mapping[str, Any] | None,
    confirm: Confirm,
    on_event: Events,
) -> list[ApplyResult]:
    """Plan (or check a saved plan against a fresh fetch), enforce the rails, confirm, apply.

    The providers stay open across the confirmation so the plan and the apply share one token.
    """
    endpoints = [endpoint_for(c, env, override) for c in configs]
    saved_plans = {p.path: p for p in check_saved_plan(saved, configs)} if saved is not None else {}
    async with AsyncExitStack() as stack:
        providers = [
            await stack.enter_async_context(open_provider(c, e, parallelism))
            for c, e in zip(configs, endpoints, strict=True)
        ]
        existing = await asyncio.gather(*(p.fetch() for p in providers))
        plans = []
        for loaded, state in zip(configs, existing, strict=True):
            if loaded.path in saved_plans:
                raise_if_stale(saved_plans[loaded.path], state)
                plans.append(saved_plans[loaded.path])
            else:
                plans.append(make_plan(loaded.path, loaded.config, state, loaded.digest))
        for plan in plans:
            plan.raise_if_unsafe(force)
        if not any(p.changes for p in plans) or not await asyncio.to_thread(confirm, plans):
            return [ApplyResult(p) for p in plans]
        results = await asyncio.gather(
            *(apply_account(p, prov, parallelism, on_event) for p, prov in zip(plans, providers, strict=True))
        )
        return list(results)
