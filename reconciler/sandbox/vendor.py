"""What one emulated API declares, so the shared sandbox files can serve it without naming it.

A vendor is one package ``reconciler/sandbox/<vendor>/`` whose ``VENDOR`` object subclasses ``SandboxVendor``,
listed under the ``reconciler.sandboxes`` entry points (``reconciler.sandbox.vendors``). The shared layers
ask it, for the paths it owns, for its routes, error shape, log fields and request checks; the server asks it
for its credentials, the variables that point its provider here, its banner lines and its extra hosts; the
store asks it for its state section; the seeds for its share of an initial state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.routing import BaseRoute

MAIN_HOST = "api"  # the first port; a vendor may ask for more (``extra_hosts``)


@dataclass(frozen=True)
class Credentials:
    """What the sandbox accepts, by ``CredentialSpec.name`` (``credentials["client_id"]``, or as an
    attribute); ``from_env`` names the values read from the environment (the banner masks those secrets).
    ``repr`` shows no value."""

    values: Mapping[str, str] = field(repr=False)
    from_env: frozenset[str] = frozenset()

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def __getattr__(self, name: str) -> str:
        values = self.__dict__.get("values", {})
        if name in values:
            return str(values[name])
        raise AttributeError(f"no credential {name!r}")


@dataclass(frozen=True)
class CredentialSpec:
    """One value the sandbox accepts: its name (a keyword of ``serve_in_thread``), the variable it is read
    from, its demo value, and whether it is a secret (masked in the banner, scrubbed from the log)."""

    name: str
    env: str
    demo: str
    secret: bool = True


@dataclass(frozen=True)
class Seed:
    """A parsed ``--seed``: ``demo``, ``empty`` or ``generated`` with a count per name (``tests=N``...)."""

    kind: str
    counts: Mapping[str, int]


class Section(Protocol):
    """A vendor's part of the state document."""

    def head(self) -> dict[str, Any]:
        """Its small top-level keys, written as they are."""

    def collections(self) -> list[tuple[str, bytes]]:
        """Its large top-level objects: key and the JSON text of the object's members (without braces)."""

    def summary(self) -> str:
        """What it holds, for ``reconciler sandbox reset`` ("12 tests, 3 members")."""


class SandboxVendor:
    """The defaults: a vendor that owns no path and declares nothing; a vendor overrides what it has."""

    name: str = ""
    title: str = ""  # how users call the API ("Example API"), in help texts
    prefixes: tuple[str, ...] = ()  # the URL path prefixes it owns
    credentials: tuple[CredentialSpec, ...] = ()
    redacted_keys: frozenset[str] = frozenset()  # body / query fields logged as ``***``
    dialects: Mapping[str, str] = {}  # name -> what it changes (a name two vendors share merges)
    exclusive: tuple[tuple[frozenset[str], str], ...] = ()  # dialects that cannot be combined, and why
    seed_counts: Mapping[str, str] = {}  # the ``generated:`` counts it reads, with a placeholder: tests -> N
    page_param: str = ""  # the page-size parameter ``--page-cap`` caps, for its help

    def owns(self, path: str) -> bool:
        return path.startswith(self.prefixes)

    def routes(self) -> list[BaseRoute]:
        return []

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"code": status, "message": message}

    def extra_hosts(self, dialects: frozenset[str]) -> tuple[str, ...]:
        """Hosts beyond the first that these dialects make it serve on ports of their own."""
        return ()

    def host_of(self, path: str) -> str:
        """Which host serves ``path`` when it has extra hosts."""
        return MAIN_HOST

    def check_request(self, dialects: frozenset[str], scope: Mapping[str, Any]) -> tuple[int, str] | None:
        """A (status, message) refusal of a request to one of its paths before its route runs, under the
        dialects the sandbox plays."""
        return None

    def log_fields(self, method: str, headers: Mapping[str, str], query: str, raw: bytes) -> dict[str, Any]:
        """Extra request-log fields for one of its requests (read from the raw request)."""
        return {}

    def new_state(self, seed: Seed) -> dict[str, Any]:
        """Its keys of a fresh state document; ``next_ids`` entries are merged with the other vendors'."""
        return {}

    def load_state(self, data: Mapping[str, Any], changed: Callable[[], None]) -> Section:
        """Its section from a state document (``ValueError`` says what is wrong); ``changed`` counts a
        mutation (the page cache and the committer watch the count)."""
        return _NoSection()

    def environment(self, urls: Mapping[str, str], credentials: Credentials) -> dict[str, str]:
        """The variables that point its provider at this server (``urls``: host name -> base URL)."""
        return {}

    def urls(self, urls: Mapping[str, str]) -> dict[str, str]:
        """Named URLs ``SandboxServer`` offers as attributes (``token_url``...)."""
        return {}

    def banner(self, urls: Mapping[str, str], account_id: int, shown: Callable[[str], str]) -> list[str]:
        """Its lines of the ``serve`` banner; ``shown(name)`` is a credential as it may be printed."""
        return []


class _NoSection:
    def head(self) -> dict[str, Any]:
        return {}

    def collections(self) -> list[tuple[str, bytes]]:
        return []

    def summary(self) -> str:
        return ""
