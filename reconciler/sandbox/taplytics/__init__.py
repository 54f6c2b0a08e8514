"""The Taplytics REST API (users), as its document describes it. ``routes()`` is everything it serves.

Everything lives under ``/v2/...``; errors are ``{"message", "status"}`` (``vendor.TaplyticsSandbox``).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from reconciler.sandbox.taplytics import users

USERS = "/v2/users"


def routes() -> list[BaseRoute]:
    """The Taplytics routes: the users collection and one user (read, create or update)."""
    return [
        Route(USERS, users.list_users, methods=["GET"]),
        Route(USERS + "/{user_id}", users.get_user, methods=["GET"]),
        Route(USERS + "/{user_id}", users.post_user, methods=["POST"]),
    ]
