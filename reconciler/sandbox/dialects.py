"""Dialects: the other readings the API documents allow, one name each, combinable.

The API documents leave many things open (docs/sandbox.md lists every ambiguity); each vendor declares the
readings it can play (``SandboxVendor.dialects``). With no dialect the
sandbox plays the most literal reading; each dialect switches one answer to another reading a real server
could just as well have chosen, so a client that leans on a guess fails a test instead of a real account.
The client has no dialect switch: it must converge under every one of them.

``reconciler sandbox serve --dialect a,b``, ``RECONCILER_SANDBOX_DIALECT=a,b`` (``make demo``, ``--sandbox``),
``serve_in_thread(..., dialects="a,b")``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from reconciler.sandbox.vendor import SandboxVendor
from reconciler.sandbox.vendors import vendors

ENV_VAR = "RECONCILER_SANDBOX_DIALECT"


def known(among: Iterable[SandboxVendor] | None = None) -> dict[str, str]:
    """Every vendor's dialects, in vendor order; a name two vendors declare is one dialect whose
    description joins theirs."""
    merged: dict[str, str] = {}
    for vendor in vendors() if among is None else among:
        for name, what in vendor.dialects.items():
            merged[name] = f"{merged[name]}, {what}" if name in merged else what
    return merged


def _exclusive() -> list[tuple[frozenset[str], str]]:
    return [group for vendor in vendors() for group in vendor.exclusive]


def __getattr__(name: str) -> dict[str, str]:
    """``DIALECTS``: every vendor's dialects, read when asked for (loading the vendors on import could
    meet a vendor module that is importing this one)."""
    if name == "DIALECTS":
        return known()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class DialectError(ValueError):
    """An unknown dialect name, or two that cannot be combined."""


def parse_dialects(value: str | Iterable[str] | None) -> frozenset[str]:
    """``"a,b"`` (or names) -> the set of dialects; unknown names and exclusive pairs are a ``DialectError``."""
    if value is None:
        return frozenset()
    names = value.split(",") if isinstance(value, str) else list(value)
    chosen = frozenset(name.strip() for name in names if name.strip())
    every = known()
    unknown = sorted(chosen - every.keys())
    if unknown:
        raise DialectError(f"unknown dialect {', '.join(unknown)}; known: {', '.join(every)}")
    for group, why in _exclusive():
        clash = sorted(chosen & group)
        if len(clash) > 1:
            raise DialectError(f"dialects {' and '.join(clash)} cannot be combined ({why})")
    return chosen


def from_environment(env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The dialects named by ``RECONCILER_SANDBOX_DIALECT`` (none when unset)."""
    env = os.environ if env is None else env
    return parse_dialects(env.get(ENV_VAR))


def usage() -> str:
    """One line per dialect, for ``--help`` and error messages."""
    return "\n".join(f"{name}: {what}" for name, what in known().items())
