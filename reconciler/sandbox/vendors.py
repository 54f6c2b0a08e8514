"""The sandbox vendors: which APIs the sandbox emulates, found through the ``reconciler.sandboxes`` entry points.

``pyproject.toml``'s ``[project.entry-points."reconciler.sandboxes"]`` lists the built-in vendors (each a
``SandboxVendor`` object in ``reconciler/sandbox/<vendor>/``); a separate package adds one the same way.
``register()`` adds one at run time (tests). The shared sandbox files loop over ``vendors()`` and name none.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib.metadata import entry_points

from reconciler.sandbox.vendor import SandboxVendor

GROUP = "reconciler.sandboxes"
_registered: dict[str, SandboxVendor] = {}
_sorted: list[tuple[SandboxVendor, ...]] = []  # vendors() until the next register / unregister


@functools.cache
def _installed() -> dict[str, SandboxVendor]:
    found: dict[str, SandboxVendor] = {}
    for ep in entry_points(group=GROUP):
        vendor = ep.load()
        if not (isinstance(vendor, SandboxVendor) and vendor.name == ep.name):
            raise TypeError(
                f"entry point {GROUP}:{ep.name} = {ep.value} is not a SandboxVendor named {ep.name!r}"
            )
        found[ep.name] = vendor
    return found


def register(vendor: SandboxVendor) -> SandboxVendor:
    """Serve ``vendor`` too (wins over an entry point of the same name), from the next sandbox built."""
    _registered[vendor.name] = vendor
    _sorted.clear()
    return vendor


def unregister(name: str) -> None:
    """Forget a vendor added by ``register`` (entry points stay)."""
    _registered.pop(name, None)
    _sorted.clear()


def vendors() -> tuple[SandboxVendor, ...]:
    """Every vendor, by name: the order of routes, banner blocks, dialects and state sections."""
    if not _sorted:
        every = {**_installed(), **_registered}
        _sorted.append(tuple(every[name] for name in sorted(every)))
    return _sorted[0]


def owner(path: str, among: Iterable[SandboxVendor] | None = None) -> SandboxVendor | None:
    """The vendor whose URL prefixes hold ``path``; None for a path no vendor owns (``/_sandbox/``...)."""
    for vendor in vendors() if among is None else among:
        if vendor.owns(path):
            return vendor
    return None
