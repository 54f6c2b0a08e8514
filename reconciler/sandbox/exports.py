"""The ``serve`` banner's ready-to-paste ``export`` lines: every variable each vendor declares as pointing
its provider at this server (``SandboxVendor.environment``), so a new user copies one block instead of
assembling URLs, credentials and token paths from the lines above it."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

from reconciler.sandbox.vendor import Credentials, SandboxVendor


def export_lines(
    vendors: Sequence[SandboxVendor], urls: Mapping[str, str], credentials: Credentials
) -> list[str]:
    """``export NAME=value`` for every variable; a secret the sandbox read from this very variable is
    already in the user's environment, so it is named, never printed."""
    kept = {
        spec.env
        for vendor in vendors
        for spec in vendor.credentials
        if spec.secret and spec.name in credentials.from_env
    }
    lines = ["Point reconciler at it (paste into the shell you run reconciler from):"]
    for vendor in vendors:
        for name, value in vendor.environment(urls, credentials).items():
            if name in kept:
                lines.append(f"  # {name} is already set in your environment")
            else:
                lines.append(f"  export {name}={shlex.quote(value)}")
    return lines
