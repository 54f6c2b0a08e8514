"""The generic reconciler: load -> fetch -> diff -> plan -> rails -> apply, for any provider.

No vendor name and no printing here: each config file names its provider, the registry gives its class, and
the CLI renders what this returns (``on_event`` receives each change's outcome, ``observers`` see reads).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, AsyncExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reconciler import __version__
from reconciler.config.loaded import LoadedConfig
from reconciler.core.plan import AccountPlan
from reconciler.core.saved import check_saved_plan, raise_if_differs, raise_if_stale
from reconciler.core.schedule import ApplyResult, Events, apply_changes
from reconciler.core.state import State
from reconciler.core.tasks import gather_all
from reconciler.errors import (
    EnvironmentVariableError,
    PlanError,
    ReconcilerError,
)
from reconciler.hints import config_credential_variables, credentials_named
from reconciler.http.observe import RequestObserver, observing
from reconciler.lock import account_lock
from reconciler.locks.lease import account_lease
from reconciler.providers import registry
from reconciler.providers.base import AnyProvider, Provider, StateT
from reconciler.providers.endpoint import Endpoint
from reconciler.providers.trust import allowed_hosts, trusted_endpoint

#: Given one config, the observer of its account's reads (the CLI's progress display), or None.
Observers = Callable[[LoadedConfig], RequestObserver | None]
#: Told the plans about to be applied (after the rails passed), before the first change.
OnPlan = Callable[[list[AccountPlan]], None]


def provider_for(loaded: LoadedConfig) -> type[AnyProvider]:
    """The provider class a loaded config names (loading already refused unknown providers)."""
    found = registry.get(loaded.provider)
    if found is None:
        raise ReconcilerError(f"{loaded.path}: provider {loaded.provider!r} is not installed")
    return found


def _no_observer(_loaded: LoadedConfig) -> RequestObserver | None:
    return None


@dataclass(frozen=True)
class Session:
    """One run over some config files: where each account is reached, and how hard to push.

    ``sandbox_env``, when given, replaces every config's endpoint by the provider's standard variables taken
    from it (``--sandbox``: one local emulator serves every provider). ``observers`` gives each account's
    reads an observer (progress), without the providers knowing. ``allow_hosts`` (``--allow-host``) and
    ``RECONCILER_ALLOW_HOSTS`` in ``env`` name the hosts a config may point at beyond its provider's own.
    """

    configs: Sequence[LoadedConfig]
    env: Mapping[str, str]
    parallelism: int = 8
    sandbox_env: Mapping[str, str] | None = None
    observers: Observers = _no_observer
    allow_hosts: tuple[str, ...] = ()

    def endpoints(self) -> list[Endpoint]:
        """Every account's endpoint, resolved before any request: every unset variable of every file is
        reported at once, before the first account is touched."""
        out = []
        unset: list[str] = []
        allowed = allowed_hosts(self.env, self.allow_hosts)
        for loaded in self.configs:
            provider = provider_for(loaded)
            try:
                if self.sandbox_env is not None:
                    out.append(provider.default_endpoint(self.sandbox_env))
                else:
                    out.append(trusted_endpoint(loaded, provider, self.env, allowed))
            except EnvironmentVariableError as err:
                unset.append(str(err))
        if unset:
            if self.sandbox_env is None:  # a newcomer after `make demo` tries a plan without it
                unset.append("(no credentials at hand? --sandbox runs it against the embedded sandbox)")
            raise EnvironmentVariableError("\n".join(unset))
        return out

    async def plan(self) -> list[AccountPlan]:
        """Plan every account concurrently; every connection is closed when this returns."""
        endpoints = self.endpoints()

        async def one(loaded: LoadedConfig, endpoint: Endpoint) -> AccountPlan:
            with observing(self.observers(loaded)), self._credentials_named(loaded):
                async with provider_for(loaded).open(loaded, endpoint, self.parallelism) as provider:
                    return provider.plan_fetched(await provider.fetch())

        pairs = zip(self.configs, endpoints, strict=True)
        return await gather_all([one(c, e) for c, e in pairs])  # one account's error stops the others

    async def apply(
        self,
        *,
        force: bool,
        on_event: Events,
        saved: Mapping[str, Any] | None = None,
        approved: Sequence[AccountPlan] | None = None,
        on_plan: OnPlan | None = None,
        stop: asyncio.Event | None = None,
    ) -> list[ApplyResult]:
        """Plan afresh, check it against what was approved, enforce the rails, apply.

        What was approved is a saved plan file (``saved``) or the plans a person confirmed (``approved``,
        planned with :meth:`plan` before the question, so no connection is held while a person reads):
        the fresh plan must equal it exactly, else nothing is applied. ``stop`` ends the run early (see
        ``apply_changes``).
        """
        endpoints = self.endpoints()
        expected = self._expected(saved, approved)
        async with AsyncExitStack() as stack:
            for loaded, endpoint in zip(self.configs, endpoints, strict=True):
                # Held from the fetch to the last change: two applies for one account cannot each pass
                # the rails on a state the other is changing.
                key, label = lock_key(loaded, endpoint)
                stack.enter_context(account_lock(key, label, self.env))
                # Across machines (RECONCILER_LEASE): one writer per account, whichever runner it is.
                await stack.enter_async_context(account_lease(key, label, self.env))
            providers = []
            for loaded, endpoint in zip(self.configs, endpoints, strict=True):
                with observing(self.observers(loaded)):  # the client takes its observer when created
                    opened = provider_for(loaded).open(loaded, endpoint, self.parallelism)
                    providers.append(await stack.enter_async_context(opened))
            existing = await gather_all([self._fetch(p) for p in providers])
            plans = [
                _checked(provider.plan_fetched(state), state, expected, approved is not None)
                for provider, state in zip(providers, existing, strict=True)
            ]
            for plan in plans:
                plan.raise_if_unsafe(force)
            if on_plan is not None:
                on_plan(plans)
            if not any(p.changes for p in plans) or (stop is not None and stop.is_set()):
                return [ApplyResult(p) for p in plans]
            pairs = zip(plans, providers, strict=True)
            return list(
                await asyncio.gather(*(self._apply_one(p, prov, on_event, stop) for p, prov in pairs))
            )

    async def _fetch(self, provider: Provider[Any, StateT, Any]) -> StateT:
        with self._credentials_named(provider.loaded):
            return await provider.fetch()

    def _credentials_named(self, loaded: LoadedConfig) -> AbstractContextManager[None]:
        provider = provider_for(loaded)
        return credentials_named(
            provider,
            provider.account_of(loaded.config),
            config_credential_variables(loaded, provider),
            path=loaded.path,
            sandbox=self.sandbox_env is not None,
        )

    def _expected(
        self, saved: Mapping[str, Any] | None, approved: Sequence[AccountPlan] | None
    ) -> dict[str, AccountPlan]:
        """The approved plans by config path (a saved file is checked for version and config digests)."""
        if saved is not None:
            digests = {c.path: c.digest for c in self.configs}
            return {p.path: p for p in check_saved_plan(saved, digests, registry.kinds_of, __version__)}
        return {p.path: p for p in approved or ()}

    async def _apply_one(
        self, plan: AccountPlan, provider: AnyProvider, on_event: Events, stop: asyncio.Event | None
    ) -> ApplyResult:
        needs = provider.needs(plan.changes)
        return await apply_changes(plan, needs, provider.execute, self.parallelism, on_event, stop)


def _checked(
    fresh: AccountPlan, state: State, expected: Mapping[str, AccountPlan], confirmed: bool
) -> AccountPlan:
    """``fresh``, once it equals the approved plan of its file (nothing approved is ever executed as is)."""
    approved = expected.get(fresh.path)
    if approved is None:
        return fresh
    try:
        raise_if_stale(approved, state)
        raise_if_differs(approved, fresh)
    except PlanError as err:
        if not confirmed:
            raise
        raise PlanError(
            f"the account changed after the plan was shown, so nothing was applied; run apply again "
            f"to review the new plan.\n{err}"
        ) from None
    return fresh


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
