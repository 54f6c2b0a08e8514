"""Fixtures of the AB Tasty tests: the export tests' sandbox and CLI, the sandbox tests' authed clients."""

from tests.support.export_fixtures import cli, demo, point, sandbox
from tests.support.sandbox_fixtures import api, reader, server, shared_server

__all__ = ["api", "cli", "demo", "point", "reader", "sandbox", "server", "shared_server"]
