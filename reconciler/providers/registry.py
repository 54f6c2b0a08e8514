"""The provider registry: which providers exist, found through the ``reconciler.providers`` entry points.

``pyproject.toml``'s ``[project.entry-points."reconciler.providers"]`` is the one list of the built-in
providers; a separate package adds one the same way, without editing this one. ``register()`` adds a
provider class at run time (tests, embedding). A provider's module is imported only when it is first asked
for, so ``reconciler validate`` of an AB Tasty file never imports the Taplytics package.
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points

from reconciler.core.changes import ChangeKind
from reconciler.providers.base import AnyProvider, Provider

GROUP = "reconciler.providers"
_registered: dict[str, type[AnyProvider]] = {}


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def register(provider: type[AnyProvider]) -> type[AnyProvider]:
    """Make ``provider`` available under ``provider.name`` (wins over an entry point of the same name).
    Usable as a class decorator."""
    _registered[provider.name] = provider
    return provider


def unregister(name: str) -> None:
    """Forget a provider added by ``register`` (entry points stay)."""
    _registered.pop(name, None)


def names() -> list[str]:
    """Every provider's name, sorted (no module is imported)."""
    return sorted({*_entry_points(), *_registered})


def get(name: str) -> type[AnyProvider] | None:
    """The provider called ``name``, importing its module on first use; None when there is none."""
    if name in _registered:
        return _registered[name]
    ep = _entry_points().get(name)
    if ep is None:
        return None
    loaded = ep.load()
    if not (isinstance(loaded, type) and issubclass(loaded, Provider) and loaded.name == name):
        raise TypeError(f"entry point {GROUP}:{name} = {ep.value} is not a Provider named {name!r}")
    _registered[name] = loaded
    return loaded


def providers() -> list[type[AnyProvider]]:
    """Every provider class, by name (imports them all: the schema and the summary need every model)."""
    found = [get(name) for name in names()]
    return [p for p in found if p is not None]


def kinds_of(name: str) -> type[ChangeKind] | None:
    """The change kinds of the provider called ``name`` (for reading saved plans)."""
    provider = get(name)
    return provider.kinds if provider is not None else None
