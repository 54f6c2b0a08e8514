"""reconciler: manage A/B-testing accounts (AB Tasty, Taplytics) like infrastructure."""

import sys
import types

from reconciler.errors import ConfigError, ReconcilerError


def _without_httpx_cli() -> None:
    """httpx's ``__init__`` imports its command-line client (``httpx._main``) whenever click and rich are
    installed, as they are here: pygments, rich's console and the rest, about 50 ms of every run that sends a
    request. We never use that client, so its module is a stub that says so; set before httpx is imported."""
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stub = types.ModuleType("httpx._main", "httpx's command-line client, not loaded by reconciler")

    def main() -> None:
        raise SystemExit("httpx's command-line client is not available inside reconciler: run `httpx` itself")

    stub.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stub


_without_httpx_cli()  # this package is imported before any of its modules, so before httpx

__version__ = "0.1.0"

__all__ = ["ConfigError", "ReconcilerError", "__version__"]
