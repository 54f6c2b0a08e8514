"""Credentials go only to trusted hosts (issue 13.3).

The config is written by a pull request, and CI plans it with the account's credentials in its environment:
a config that points ``auth_url`` at its own host receives the client secret. So a URL in a config must name
one of the provider's documented hosts (``Provider.trusted_hosts``), a loopback address (the sandbox), or a
host the operator allowed outside the config: ``--allow-host HOST`` or ``RECONCILER_ALLOW_HOSTS=HOST,HOST``.
The check reads the config only: it runs before any DNS lookup or connection.

URLs from the provider's own environment variables (``ABTASTY_API_URL``...) are not checked: the operator
sets them, as they would set ``RECONCILER_ALLOW_HOSTS``, and a pull request cannot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel

from reconciler.config.models import Url
from reconciler.errors import TransportError

if TYPE_CHECKING:
    from reconciler.config.loaded import LoadedConfig
    from reconciler.providers.base import AnyProvider, Loc, Provider
    from reconciler.providers.endpoint import Endpoint

ALLOW_HOSTS_VARIABLE = "RECONCILER_ALLOW_HOSTS"
EndpointT = TypeVar("EndpointT", bound="Endpoint")


def normalize_host(host: str) -> str:
    """Lower-cased, without a trailing dot (``API.abtasty.com.`` is ``api.abtasty.com``)."""
    return host.strip().rstrip(".").lower()


def allowed_hosts(env: Mapping[str, str], flags: Iterable[str] = ()) -> frozenset[str]:
    """The hosts the operator allowed: ``--allow-host`` values and ``RECONCILER_ALLOW_HOSTS`` (commas or
    spaces between names)."""
    listed = env.get(ALLOW_HOSTS_VARIABLE, "").replace(",", " ").split()
    return frozenset(normalize_host(h) for h in [*listed, *flags] if h.strip())


def url_paths(model: type[BaseModel], prefix: Loc = ()) -> tuple[Loc, ...]:
    """Where ``model`` (and the models nested in it, in lists too) has a ``Url`` field: derived, not declared,
    so a URL field added to a config cannot be left out of the check (``account.api2_url`` once was). A path
    through a list names the list's field, not an index: ``untrusted_urls`` walks its items."""
    found: list[Loc] = []
    for name, info in model.model_fields.items():
        for part in _parts(info.annotation):
            if part == Url:
                found.append((*prefix, name))
            elif isinstance(part, type) and issubclass(part, BaseModel):
                found.extend(url_paths(part, (*prefix, name)))
    return tuple(dict.fromkeys(found))


def _parts(annotation: Any) -> list[Any]:
    """``annotation`` and what it is made of (``Url | None`` -> the union, ``Url``, ``None``)."""
    if annotation == Url:  # Annotated: its own arguments are the text type and the URL check
        return [annotation]
    return [annotation, *(p for arg in get_args(annotation) for p in _parts(arg))]


def _values_at(node: Any, loc: Loc, at: Loc = ()) -> list[tuple[Loc, Any]]:
    """(where, value) of each value ``loc`` reaches in ``node``, through the items of every list on the way
    (``url_paths`` names a field of a list's items without an index: each item is checked)."""
    if isinstance(node, list | tuple):
        return [found for i, item in enumerate(node) for found in _values_at(item, loc, (*at, i))]
    if not loc:
        return [(at, node)]
    child = node.get(loc[0]) if isinstance(node, dict) else getattr(node, str(loc[0]), None)
    return _values_at(child, loc[1:], (*at, loc[0]))


def untrusted_urls(
    loaded: LoadedConfig, provider: type[AnyProvider], allowed: frozenset[str]
) -> list[tuple[Loc, str]]:
    """(where, host) of every URL of the config whose host is neither the provider's, loopback nor
    allowed."""
    trusted = {normalize_host(h) for h in provider.trusted_hosts} | allowed
    found = []
    for loc, value in (
        v for path in url_paths(provider.config_model) for v in _values_at(loaded.config, path)
    ):
        if value is None:
            continue
        # Fails closed: a value the check cannot read as a URL has no trusted host.
        host = normalize_host(urlsplit(value).hostname or "") if isinstance(value, str) else ""
        # Loopback too: a config pointing at this machine is no sandbox of --sandbox's.
        if host not in trusted:
            found.append((loc, host))
    return found


def check_hosts(loaded: LoadedConfig, provider: type[AnyProvider], allowed: frozenset[str]) -> None:
    """Refuse a config that would send credentials to a host nobody outside the config allowed."""
    problems = [
        f"{loaded.where(loc)}: {'.'.join(map(str, loc))} points at {host!r}, which is not a documented "
        f"{provider.name} host ({', '.join(provider.trusted_hosts)}): the credentials would be sent there. "
        f"If that host is really meant, the operator allows it outside the config: --allow-host {host} "
        f"or {ALLOW_HOSTS_VARIABLE}={host}"
        for loc, host in untrusted_urls(loaded, provider, allowed)
    ]
    if problems:
        raise TransportError("\n".join(problems))


def check_url_pairs(provider: type[AnyProvider], env: Mapping[str, str]) -> None:
    """Refuse an API URL variable overridden while its auth URL variable is not (``Provider.url_pairs``)."""
    problems = [
        f"{pair.api} is set ({env[pair.api]}) but {pair.auth} is not: the token request, with the client "
        f"secret, would still go to {provider.name}'s production token URL. Set {pair.auth} too "
        f"(the token URL of the same server), or unset {pair.api}"
        for pair in provider.url_pairs
        if env.get(pair.api) and not env.get(pair.auth)
    ]
    if problems:
        raise TransportError("\n".join(problems))


def environment_endpoint(provider: type[Provider[Any, Any, EndpointT]], env: Mapping[str, str]) -> EndpointT:
    """``provider.default_endpoint(env)`` once its URL variables are checked as pairs."""
    check_url_pairs(provider, env)
    return provider.default_endpoint(env)


def trusted_endpoint(
    loaded: LoadedConfig,
    provider: type[Provider[Any, Any, EndpointT]],
    env: Mapping[str, str],
    allowed: frozenset[str],
) -> EndpointT:
    """``provider.endpoint(loaded, env)`` once the config's hosts are checked (nothing resolved before)."""
    check_hosts(loaded, provider, allowed)
    check_url_pairs(provider, env)
    return provider.endpoint(loaded, env)
