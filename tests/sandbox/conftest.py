"""Fixtures: a real sandbox over HTTP on 127.0.0.1 (uvicorn in a thread) and clients holding a token."""

from tests.support.sandbox_fixtures import api, reader, server, shared_server

__all__ = ["api", "reader", "server", "shared_server"]
