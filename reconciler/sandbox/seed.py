"""Initial states: ``demo`` (the documents' examples plus enough to page through), ``empty``, and
``generated:name=N,...`` (large, deterministic, fast), where each vendor reads the counts it declares
(``SandboxVendor.seed_counts``) and builds its own section (``SandboxVendor.new_state``)."""

from __future__ import annotations

import re
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.sandbox.store import FORMAT
from reconciler.sandbox.vendor import Seed
from reconciler.sandbox.vendors import vendors

ACCOUNT_ID = 41902
_GENERATED = re.compile(r"^generated:(?P<args>[a-z]+=\d+(?:,[a-z]+=\d+)*)$")


class SeedError(ReconcilerError):
    """An unknown ``--seed`` value."""


def _counts() -> list[tuple[str, str]]:
    """Every vendor's ``generated:`` counts, in vendor order: (name, placeholder)."""
    return [item for vendor in vendors() for item in vendor.seed_counts.items()]


def seed_usage() -> str:
    """``demo | empty | generated:a=N,b=M[,c=U]``: the first vendor's counts, then the others' as optional."""
    first, *others = [list(v.seed_counts.items()) for v in vendors() if v.seed_counts] or [[]]
    generated = ",".join(f"{k}={v}" for k, v in first) + "".join(
        f"[,{k}={v}]" for counts in others for k, v in counts
    )
    return f"demo | empty | generated:{generated}"


def check_seed(seed: str) -> tuple[int, ...] | None:
    """Validate a ``--seed`` value without building it: every declared count (0 when not given), in vendor
    order, for a generated seed."""
    if seed in ("demo", "empty"):
        return None
    match = _GENERATED.match(seed)
    if match:
        args = dict(part.split("=") for part in match["args"].split(","))
        names = [name for name, _ in _counts()]
        if not set(args) - set(names):
            return tuple(int(args.get(name, "0")) for name in names)
    raise SeedError(f"Unknown seed {seed!r}: expected {seed_usage().replace(' | ', ', ')}")


def initial_state(seed: str) -> dict[str, Any]:
    """The state document for a ``--seed`` value; ``SeedError`` when the value is unknown."""
    sizes = check_seed(seed)
    parsed = (
        Seed("generated", dict(zip((n for n, _ in _counts()), sizes, strict=True)))
        if sizes is not None
        else Seed(seed, {})
    )
    document: dict[str, Any] = {"format": FORMAT, "account_id": ACCOUNT_ID, "next_ids": {}}
    for vendor in vendors():
        part = vendor.new_state(parsed)
        document["next_ids"].update(part.pop("next_ids", {}))
        document.update(part)
    return document
