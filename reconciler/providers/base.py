"""The provider contract: everything a vendor needs lives in one package that implements ``Provider``.

octoDNS's ``BaseProvider`` is the model: the generic reconciler (``engine.Session``) runs
load -> fetch -> diff -> plan -> rails -> apply and knows no vendor; a provider knows one vendor's config,
endpoints and payloads, and nothing of terminals, plan files or other vendors. The rules:

- **Types**: a provider subclasses ``Provider[ConfigT, StateT, EndpointT]`` with its config model, the state
  its ``fetch`` returns and its ``Endpoint``, so that mypy checks its diff, rails, execute, fetch and endpoint
  against its own types. The engine, the registry and the renderers hold ``AnyProvider``. The one runtime
  check is ``config_of``: a ``LoadedConfig`` carries a ``BaseModel`` (the loader picks the model by the
  file's ``provider:`` at run time), and each provider narrows it there, once.
- **Declarations** (class attributes, read without a network or an environment): ``name`` (the config's
  ``provider:`` value and the entry-point name), ``config_model`` (a pydantic model whose ``provider`` is
  ``Literal[name]`` and whose ``version`` is ``Literal[1]``), ``kinds`` (its ``ChangeKind`` enum, whose
  members name its ``ResourceType`` s), ``account_key`` / ``account_noun`` (where a file names its account:
  one account belongs in one file), ``credential_paths`` (blocks that are never ``${VAR}``-interpolated at
  load nor echoed in errors: ``endpoint`` resolves them), ``secret_fields`` (fields that must be a pure
  ``${VAR}``, never a literal), ``unique_keys`` (entries that must not repeat) and ``inventory_nouns``;
  and ``trusted_hosts`` (the vendor's documented hosts: every ``Url`` field of the config model, found by
  ``providers.trust.url_paths``, naming any other host is refused unless the operator allows it).
- **Endpoints** (no I/O): ``endpoint(loaded, env)`` resolves where and as whom to talk for one config,
  wrapping every secret in ``Secret`` the moment it is read (so the redactor knows it);
  ``default_endpoint(env)`` does the same from the provider's standard variables only (``export`` has no
  config; ``--sandbox`` passes the sandbox's variables). An unset variable is an
  ``EnvironmentVariableError`` naming the file:line and the variable.
- **open(loaded, endpoint, parallelism)** is an async context manager yielding a provider bound to one
  authenticated client; every request goes through it (retries, auth, redaction, counting).
- **fetch()** reads the existing state of exactly what the config manages and resolves names to ids; an
  unknown or ambiguous reference is a ``ResolveError`` naming the YAML line. It never writes. The state it
  returns gives a ``fingerprint(resource)`` for every resource a change can touch.
- **diff(config, existing)** is pure: the changes that converge the account, in display order
  (``display_order``). **rails(config, existing, changes)** returns the safety rules they break
  (``Violation`` s); **needs(changes)** says, per change, what it waits for and requires (``Needs``); all
  three are class methods (no client needed), the last two default to nothing. **health(config, existing,
  changes)** says why the account is degraded beyond its drift (default: nothing; the watch shows it).
  **settings(config)** lists the safety settings the config moves from their defaults (a line of every
  plan). ``plan`` composes them.
- **execute(change)** performs one change with the fewest calls that make it true; re-running a change that
  already took effect after a crash must not duplicate anything. Failures are ``ReconcilerError`` s.
- **label(change)** / **describe(change)** say in words what a change does (the renderers ask them; a saved
  plan has no config, so they are class methods of the change alone).
- **exporter_at** (optional, ``module:attribute``, loaded by ``exporter()``): writes a live account as config (``export`` / ``export --update``).
- **webhook** (optional): the name of the route ``reconciler watch`` serves for the vendor's webhooks
  (``POST /hooks/{webhook}``): a delivery there triggers a check of every account of this provider.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeAlias, TypeVar, cast

from reconciler.config.drift import drift_settings
from reconciler.core.changes import Change, ChangeKind, Needs
from reconciler.core.plan import AccountPlan, Note, Setting, Violation, build_plan
from reconciler.core.state import State
from reconciler.providers.endpoint import Endpoint

if TYPE_CHECKING:
    from pydantic import BaseModel

    from reconciler.config.loaded import LoadedConfig
    from reconciler.providers.exporter import Exporter

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class SecretField:
    """A config field that holds a secret: it must be exactly ``${variable}`` (configs live in git)."""

    loc: Loc
    variable: str


@dataclass(frozen=True)
class UrlPair:
    """``api`` (an environment variable moving where requests go) set without ``auth`` (the variable moving
    where the token request, with the secret, goes) is refused: staging credentials must not reach the
    vendor's production token URL."""

    api: str
    auth: str


@dataclass(frozen=True)
class UniqueKey:
    """Entries of the list at ``loc`` must not repeat ``key`` (``fold``: compared case-insensitively)."""

    loc: Loc
    key: str
    label: str
    fold: bool = False


#: The config model of one provider (``config_model``): what ``config_of`` narrows a loaded file's model to.
ConfigT = TypeVar("ConfigT", bound="BaseModel")
#: The state one provider's ``fetch`` returns and its diff, rails and notes read.
StateT = TypeVar("StateT", bound=State)
#: Where and as whom one provider talks (``endpoint`` / ``default_endpoint`` make it, ``open`` takes it).
EndpointT = TypeVar("EndpointT", bound=Endpoint)


class Provider(ABC, Generic[ConfigT, StateT, EndpointT]):
    """One vendor's account, read and changed through one client. See the module docstring for the rules."""

    name: ClassVar[str]
    config_model: type[ConfigT]
    kinds: ClassVar[type[ChangeKind]]
    account_key: ClassVar[Loc]
    account_noun: ClassVar[str] = "account"
    #: Whether the account is a number (JSON plans write it as one); else a string, even "007".
    account_numeric: ClassVar[bool] = False
    #: The environment variables the provider reads (its ``${VAR}`` defaults and URL overrides), for help.
    environment: ClassVar[tuple[str, ...]] = ()
    credential_paths: ClassVar[tuple[Loc, ...]] = ()
    secret_fields: ClassVar[tuple[SecretField, ...]] = ()
    unique_keys: ClassVar[tuple[UniqueKey, ...]] = ()
    inventory_nouns: ClassVar[tuple[str, ...]] = ()
    trusted_hosts: ClassVar[tuple[str, ...]] = ()
    url_pairs: ClassVar[tuple[UrlPair, ...]] = ()
    #: Where the exporter is, ``module:attribute`` (None: the provider has none); see ``exporter()``.
    exporter_at: ClassVar[str | None] = None
    webhook: ClassVar[str | None] = None

    def __init__(self, loaded: LoadedConfig) -> None:
        self.loaded = loaded
        self.config: ConfigT = self.config_of(loaded)

    @classmethod
    def config_of(cls, loaded: LoadedConfig) -> ConfigT:
        """The loaded file's model as this provider's ``config_model``. A ``LoadedConfig`` holds a plain
        ``BaseModel`` (the loader chose the model at run time, by the file's ``provider:``), so this is where
        it is narrowed, checked: a file handed to the wrong provider is a bug, never a wrong request."""
        config = loaded.config
        if not isinstance(config, cls.config_model):
            raise TypeError(f"{loaded.path}: a {loaded.provider!r} config given to provider {cls.name!r}")
        return config

    # -- about a config, without a network ------------------------------------------------------------

    @classmethod
    @abstractmethod
    def account_of(cls, config: ConfigT) -> str:
        """The account a config file is about ("41902", "my-app")."""

    @classmethod
    def inventory(cls, config: ConfigT) -> Mapping[str, int]:
        """How many of each ``inventory_nouns`` the config declares (for ``validate``'s summary)."""
        return {}

    @classmethod
    @abstractmethod
    def endpoint(cls, loaded: LoadedConfig, env: Mapping[str, str]) -> EndpointT:
        """Where and as whom to talk for ``loaded`` (no I/O)."""

    @classmethod
    @abstractmethod
    def default_endpoint(cls, env: Mapping[str, str]) -> EndpointT:
        """Where and as whom to talk from the provider's standard variables alone (no I/O)."""

    @classmethod
    @abstractmethod
    def open(
        cls, loaded: LoadedConfig, endpoint: EndpointT, parallelism: int
    ) -> AbstractAsyncContextManager[Self]:
        """A provider bound to its own client (connection pool, token, request count)."""

    # -- one account -----------------------------------------------------------------------------------

    @abstractmethod
    async def fetch(self) -> StateT:
        """The existing state of everything the config manages."""

    @abstractmethod
    async def execute(self, change: Change) -> None:
        """Perform one change; raise a ``ReconcilerError`` when it fails."""

    # -- pure: a config and a fetched state in, changes and verdicts out --------------------------------

    @classmethod
    @abstractmethod
    def diff(cls, config: ConfigT, existing: StateT) -> list[Change]:
        """The changes that converge the account, in display order."""

    @classmethod
    def rails(cls, config: ConfigT, existing: StateT, changes: Sequence[Change]) -> list[Violation]:
        """The safety rails ``changes`` break."""
        return []

    @classmethod
    def settings(cls, config: ConfigT) -> list[Setting]:
        """The safety settings ``config`` moves away from their defaults (each is a line of every plan)."""
        return []

    @classmethod
    def needs(cls, changes: Sequence[Change]) -> list[Needs]:
        """What each change waits for and requires (by index)."""
        return [Needs() for _ in changes]

    @classmethod
    def exporter(cls) -> Exporter[EndpointT] | None:
        """The provider's exporter, from ``exporter_at``: imported here, so that only ``export`` loads it."""
        if cls.exporter_at is None:
            return None
        module, _, name = cls.exporter_at.partition(":")
        # Looked up by name, so untyped: ``exporter_at`` names an ``Exporter`` of this provider's endpoint.
        return cast("Exporter[EndpointT]", getattr(importlib.import_module(module), name))

    @classmethod
    def plan(cls, path: str, config: ConfigT, existing: StateT, config_digest: str = "") -> AccountPlan:
        """Diff, fingerprint every touched resource, evaluate the rails (a template method)."""
        changes = cls.diff(config, existing)
        violations = cls.rails(config, existing, changes)
        account = cls.account_of(config)
        settings = [*cls.settings(config), *drift_settings(config)]  # drift: a policy, shown like a rail
        notes = cls.notes(config, existing, changes)
        health = cls.health(config, existing, changes)
        return build_plan(
            path, cls.name, account, changes, existing, violations, config_digest, settings, notes, health
        )

    @classmethod
    def notes(cls, config: ConfigT, existing: StateT, changes: Sequence[Change]) -> list[Note]:
        """Lines a plan shows about the config as a whole (AB Tasty: what each selector matched). Pure."""
        return []

    @classmethod
    def health(cls, config: ConfigT, existing: StateT, changes: Sequence[Change]) -> list[str]:
        """Why the account is degraded beyond its drift, one sentence each (AB Tasty: a tag-script rebuild
        owed, a paused test whose start time has passed); ``reconciler watch`` shows them. Pure."""
        return []

    def plan_fetched(self, existing: StateT) -> AccountPlan:
        """The plan of this provider's config against what ``fetch`` returned."""
        return self.plan(self.loaded.path, self.config, existing, self.loaded.digest)

    # -- for people --------------------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def label(cls, change: Change) -> str:
        """The resource a change acts on, for people (``test 381296 "Checkout"``)."""

    @classmethod
    @abstractmethod
    def describe(cls, change: Change) -> str:
        """What happens to the resource, after its label (``state pause -> play (prod)``)."""

    @classmethod
    def drift(cls, change: Change) -> str:
        """What someone changed on the live account that ``change`` would undo, in drift words (the drift
        issue): a plan's delete is something added outside the config, its create something removed."""
        sep = " " if cls.inline(change) else ": "
        said = f"{cls.label(change)}{sep}{cls.describe(change)}"
        if change.action == "delete":
            return f"{said} was added outside the config"
        if change.action == "create":
            return f"{said} is in the config but not on the account (removed outside the config?)"
        return f"{cls.label(change)} was changed outside the config (apply sets: {cls.describe(change)})"

    @classmethod
    def inline(cls, change: Change) -> bool:
        """Whether the description follows the label with a space instead of ``": "`` (``+ member a@b.c (admin)``)."""
        return False


#: Any provider, as the engine, the registry, the loader and the renderers hold one: they pass each
#: provider its own config, state and endpoint, which only the provider's own class knows the types of.
AnyProvider: TypeAlias = Provider[Any, Any, Any]


def resolve_variable(loaded: LoadedConfig, loc: Loc, raw: str, env: Mapping[str, str]) -> str:
    """The value of a credential field (``${VAR}`` references substituted from ``env``); an unset variable
    is an ``EnvironmentVariableError`` naming the file:line, the variable and the key."""
    from reconciler.config import env as envmod
    from reconciler.core.suggest import closest
    from reconciler.errors import EnvironmentVariableError

    try:
        value = envmod.interpolate(raw, env)
    except envmod.UnsetVariable as unset:
        # A misspelt name (${ABTASTY_SECRET}) beside one that is set: name the set one (a name, never a value).
        near = closest(unset.name, [name for name, set_to in env.items() if set_to])
        hint = f"; {near} is set: did you mean ${{{near}}}?" if near else ""
        raise EnvironmentVariableError(
            f"{loaded.where(loc)}: environment variable {unset.name} is not set: "
            f"export it with the {loc[0]}'s {loc[-1]}{hint}"
        ) from None
    if not value:  # `export X=` or a CI secret that does not exist: refused here, not by the vendor's 400
        names = " and ".join(ref.name for ref in envmod.references(raw)) or "its variable"
        raise EnvironmentVariableError(
            f"{loaded.where(loc)}: {loc[-1]} is empty: {names} is set to nothing; "
            f"export the {loc[0]}'s {loc[-1]}"
        )
    return value
