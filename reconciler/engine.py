"""The generic reconciler: load -> fetch -> diff -> plan -> rails -> apply, for any provider.

No vendor name and no printing here: each config file names its provider, the registry gives its class, and
the CLI renders what this returns (``on_event`` receives progress and outcome lines).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reconciler.config.load import LoadedConfig
from reconciler.core.plan import AccountPlan
from reconciler.core.saved import check_saved_plan, raise_if_differs, raise_if_stale
from reconciler.core.schedule import ApplyResult, Events, apply_changes
from reconciler.errors import ReconcilerError
from reconciler.lock import account_lock
from reconciler.providers import registry
from reconciler.providers.base import Endpoint, Provider
from reconciler.providers.trust import allowed_hosts, trusted_endpoint

Confirm = Callable[[list[AccountPlan]], Any]


def provider_for(loaded: LoadedConfig) -> type[Provider]:
    """The provider class a loaded config names (loading already refused unknown providers)."""
    found = registry.get(loaded.provider)
    if found is None:
        raise ReconcilerError(f"{loaded.path}: provider {loaded.provider!r} is not installed")
    return found


@dataclass(frozen=True)
class Session:
    """One run over some config files: where each account is reached, and how hard to push.

    ``sandbox_env``, when given, replaces every config's endpoint by the provider's standard variables taken
    from it (``--sandbox``: one local emulator serves every provider). ``allow_hosts`` (``--allow-host``) and
    ``RECONCILER_ALLOW_HOSTS`` in ``env`` name the hosts a config may point at beyond its provider's own.
    """

    configs: Sequence[LoadedConfig]
    env: Mapping[str, str]
    parallelism: int = 8
    sandbox_env: Mapping[str, str] | None = None
    allow_hosts: tuple[str, ...] = ()

    def endpoints(self) -> list[Endpoint]:
        """Every account's endpoint, resolved before any request (an unset variable fails the run first)."""
        out = []
        allowed = allowed_hosts(self.env, self.allow_hosts)
        for loaded in self.configs:
            provider = provider_for(loaded)
            if self.sandbox_env is not None:
                out.append(provider.default_endpoint(self.sandbox_env))
            else:
                out.append(trusted_endpoint(loaded, provider, self.env, allowed))
        return out

    async def plan(self) -> list[AccountPlan]:
        """Plan every account concurrently."""
        endpoints = self.endpoints()

        async def one(loaded: LoadedConfig, endpoint: Endpoint) -> AccountPlan:
            async with provider_for(loaded).open(loaded, endpoint, self.parallelism) as provider:
                return provider.plan_fetched(await provider.fetch())

        pairs = zip(self.configs, endpoints, strict=True)
        return list(await asyncio.gather(*(one(c, e) for c, e in pairs)))

    async def apply(
        self, *, force: bool, saved: Mapping[str, Any] | None, confirm: Confirm, on_event: Events
    ) -> list[ApplyResult]:
        """Plan (or check a saved plan against a fresh fetch), enforce the rails, confirm, apply.

        The providers stay open across the confirmation so the plan and the apply share one token.
        """
        endpoints = self.endpoints()
        digests = {c.path: c.digest for c in self.configs}
        saved_plans = (
            {p.path: p for p in check_saved_plan(saved, digests, registry.kinds_of)}
            if saved is not None
            else {}
        )
        async with AsyncExitStack() as stack:
            for loaded, endpoint in zip(self.configs, endpoints, strict=True):
                # Held from the fetch to the last change: two applies for one account cannot each pass
                # the rails on a state the other is changing.
                key, label = lock_key(loaded, endpoint)
                stack.enter_context(account_lock(key, label, self.env))
            providers = [
                await stack.enter_async_context(provider_for(c).open(c, e, self.parallelism))
                for c, e in zip(self.configs, endpoints, strict=True)
            ]
            existing = await asyncio.gather(*(p.fetch() for p in providers))
            plans = []
            for provider, state in zip(providers, existing, strict=True):
                fresh = provider.plan_fetched(state)
                saved_plan = saved_plans.get(provider.loaded.path)
                if saved_plan is not None:
                    # Nothing in the file is executed: it must equal what a fresh plan holds, which is applied.
                    raise_if_stale(saved_plan, state)
                    raise_if_differs(saved_plan, fresh)
                plans.append(fresh)
            for plan in plans:
                plan.raise_if_unsafe(force)
            if not any(p.changes for p in plans) or not await asyncio.to_thread(confirm, plans):
                return [ApplyResult(p) for p in plans]
            results = await asyncio.gather(
                *(self._apply_one(p, prov, on_event) for p, prov in zip(plans, providers, strict=True))
            )
            return list(results)

    async def _apply_one(self, plan: AccountPlan, provider: Provider, on_event: Events) -> ApplyResult:
        needs = provider.needs(plan.changes)
        return await apply_changes(plan, needs, provider.execute, self.parallelism, on_event)


def lock_key(loaded: LoadedConfig, endpoint: Endpoint) -> tuple[str, str]:
    """(key, label) of an account's lock: provider and account, and the host when it is not the vendor's."""
    provider = provider_for(loaded)
    account = provider.account_of(loaded.config)
    label = f"{provider.name} {provider.account_noun} {account}"
    parts = urlsplit(getattr(endpoint, "api_url", ""))  # a provider whose endpoint has none: no host
    host = (parts.hostname or "").rstrip(".").lower()
    where = "" if host in provider.trusted_hosts else f"@{host}:{parts.port or ''}"
    return f"{provider.name}:{account}{where}", label


def make_plan(path: str, config: Any, existing: Any, config_digest: str = "") -> AccountPlan:
    """The plan of ``config`` against an already fetched state, without a network (tests, benchmarks)."""
    provider = registry.get(str(getattr(config, "provider", "")))
    if provider is None:
        raise ReconcilerError(f"{path}: no provider for this config")
    return provider.plan(path, config, existing, config_digest)
