"""Taplytics REST API: the users of one project (``/v2/users``), read and converged.

How users are read: page 1 of ``GET /v2/users`` (100 a page, the documented maximum) comes first. It holds
``numEntities``, so the number of pages left is known. When the declared users that page 1 did not hold are
no more than the pages left, each is read on its own (``GET /v2/users/{user_id}``, a 404 meaning "not there
yet"), concurrently; otherwise the ``Link`` header's ``next`` URLs are followed to the end. So 5 users of a
100,000-user project cost 1 + 5 requests, not 1,000 pages; a small project costs one request. That route is
not in the document: when a declared user answers 404, one user page 1 holds is asked for too, and if that
one 404s as well the route is missing and the list is read on. Pages follow the ``Link`` header's ``next``,
or, without one, the body's ``nextPaginationToken`` (cursor paging, as the vendor's users reference has it).

How users are changed: one ``POST /v2/users/{user_id}`` per change, carrying the declared fields that
differ and the whole custom_data object as read with the changed keys set (the document does not say whether
the server merges custom_data or replaces it: the whole object is right under both). The POST sets values by user_id, so
sending it twice leaves the same user: it is marked safe to repeat after a lost answer. A 402 ("valid but
failed") is not retried: it is reported with the server's message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from reconciler.core.changes import Change
from reconciler.errors import NotFoundError
from reconciler.http import ApiClient, Route, optional_field
from reconciler.http.bodies import LinkPage, is_int, malformed
from reconciler.http.paging import gather, pager
from reconciler.providers.taplytics.changes import Kind
from reconciler.providers.taplytics.config import TaplyticsConfig
from reconciler.providers.taplytics.state import Existing, ExistingUser

PER_PAGE = 100  # "by default, accounts have a pagination limit of 100 items per page"
USERS = "/v2/users"


def user_path(user_id: str) -> str:
    """``/v2/users/{user_id}``, the id escaped so that any string stays one path segment."""
    return f"{USERS}/{quote(user_id, safe='@')}"


def parse_user(
    item: Any, keys: Iterable[str] | None, route: Route | str = f"GET {USERS}"
) -> ExistingUser | None:
    """A user payload -> ``ExistingUser`` keeping only the custom_data ``keys`` the config manages for it
    (``None``: every key, for ``export``).

    None for something that is not a user with an id (anonymous users have none: no config can name them).
    A field of the wrong type is a ``ServerError`` naming ``route`` and the field.
    """
    if not isinstance(item, dict) or item.get("user_id") in (None, ""):
        return None
    user_id = item["user_id"]
    if not isinstance(user_id, str) and not is_int(user_id):
        raise malformed(Route.parse(route), "'user_id'", user_id, "a string")
    data = optional_field(item, "custom_data", dict, route) or {}
    return ExistingUser(
        user_id=str(user_id),
        email=optional_field(item, "email", str, route),
        name=optional_field(item, "name", str, route),
        custom_data=dict(data) if keys is None else {k: data[k] for k in keys if k in data},
    )


async def list_users(client: ApiClient) -> list[ExistingUser]:
    """Every user of the project with all its custom_data, by user_id (``export`` reads the whole project).

    Every page is read, in whichever paging the server answers with (``Link`` or cursor: the client follows
    either). Users without a user_id (anonymous) are skipped: no config can name them. A user_id listed
    twice (a user added while the pages were read shifts the pages by one) is kept once, as last read.
    """
    items = await pager(client).links(USERS, per_page=PER_PAGE, items_key="users")
    users = (parse_user(item, None) for item in items)
    return sorted({u.user_id: u for u in users if u is not None}.values(), key=lambda u: u.user_id)


class ProjectApi:
    """One Taplytics project's calls, through ``client`` (token in the x-access-token header):
    ``TaplyticsProvider`` delegates its ``fetch`` and ``execute`` here."""

    def __init__(self, client: ApiClient, config: TaplyticsConfig) -> None:
        self.client = client
        self.config = config
        # user_id -> the custom_data keys its entry declares (the only ones kept from what is fetched)
        self.keys = {u.user_id: sorted(u.custom_data or {}) for u in self.config.users}
        self.declared = set(self.keys)
        # user_id -> its whole custom_data as read: an update sends it back with the changes, so a server
        # that replaces the object (TAP:40 says "a key:value store", never "merged") keeps the other keys.
        self.read_data: dict[str, dict[str, Any]] = {}
        self.typed = False  # whether any custom_data value read was not a string (see diff.same_value)

    async def fetch(self) -> Existing:
        """The declared users that exist (never writes)."""
        users = await self._fetch_users() if self.declared else []
        return Existing(
            self.config.project.name, users={u.user_id: u for u in users}, typed_values=self.typed
        )

    async def _fetch_users(self) -> list[ExistingUser]:
        pages = pager(self.client).link_pages(USERS, per_page=PER_PAGE, items_key="users")
        async with contextlib.aclosing(pages):
            page = await anext(pages)
            found = self._parse(page.items)
            if self._missing(found) and self._read_each_is_cheaper(page, found):
                found += await self._fetch_each(self._missing(found))
                if not self._missing(found) or await self._user_route_works(page):
                    return found
            # Once every declared user is known, the rest of the list cannot matter: stop there.
            while self._missing(found) and page.next_url is not None:
                page = await anext(pages)
                found += self._parse(page.items)
        return found

    async def _user_route_works(self, page: LinkPage) -> bool:
        """Whether ``GET /v2/users/{id}`` exists (the document lists no such route): asked of a user page 1
        holds, after a declared user answered 404. If it 404s too, the route is missing and those 404s
        said nothing: the list is read on instead of planning creates for users that may exist."""
        probe = next((i["user_id"] for i in page.items if isinstance(i, dict) and i.get("user_id")), None)
        if probe is None:
            return False
        try:
            await self.client.get_json(user_path(str(probe)))
        except NotFoundError:
            return False
        return True

    def _missing(self, found: list[ExistingUser]) -> list[str]:
        return sorted(self.declared - {u.user_id for u in found})

    def _read_each_is_cheaper(self, first: LinkPage, found: list[ExistingUser]) -> bool:
        """After page 1: are the declared users it did not hold no more than the pages left?"""
        total = first.body.get("numEntities") if isinstance(first.body, dict) else None
        if first.next_url is None or not is_int(total) or not first.items:
            return False  # no next page, or no way to know how many: follow the links
        # Integer arithmetic: a numEntities past 10**308 cannot overflow a float here.
        pages_left = -(-max(total - len(first.items), 0) // len(first.items))
        # Equal counts favour reading each: those requests run concurrently, pages one after another.
        return len(self._missing(found)) <= pages_left

    def _parse(self, items: list[Any]) -> list[ExistingUser]:
        users = (self._managed(item) for item in items)
        return [u for u in users if u is not None]

    def _managed(self, item: Any, route: str = f"GET {USERS}") -> ExistingUser | None:
        """A fetched user the config declares, with its declared custom_data keys; else None."""
        user_id = str(item.get("user_id")) if isinstance(item, dict) else None
        if user_id not in self.keys:
            return None
        user = parse_user(item, self.keys[user_id], route)
        data = item.get("custom_data")
        if user is not None and isinstance(data, dict):
            self.read_data[user.user_id] = dict(data)
            self.typed = self.typed or any(not isinstance(v, str) for v in data.values())
        return user

    async def _fetch_each(self, user_ids: list[str]) -> list[ExistingUser]:
        async def one(user_id: str) -> ExistingUser | None:
            path = user_path(user_id)
            try:
                return self._managed(await self.client.get_json(path), f"GET {path}")
            except NotFoundError:
                return None  # not created yet: the plan creates it

        found = await gather([one(u) for u in user_ids])  # the first error stops the rest
        return [u for u in found if u is not None]

    async def execute(self, change: Change) -> None:
        """One POST: create the user, or set exactly the fields and custom_data keys that differ."""
        if change.kind not in (Kind.USER_CREATE, Kind.USER_UPDATE):
            raise ValueError(f"not a Taplytics change: {change.kind}")  # a bug, not a user error
        body: dict[str, Any] = dict(change.after)
        if "custom_data" in body and change.key in self.read_data:
            # The whole object: right whether the server merges or replaces it.
            body["custom_data"] = {**self.read_data[change.key], **body["custom_data"]}
        await self.client.request("POST", user_path(change.key), json=body, idempotent=True)
