"""AB Tasty Public API: endpoints and payload <-> core mapping.

How tests are fetched: the first page of the test list (100 a page) is read first; it tells how many
pages the account has. When the config manages fewer tests than there are pages left, each managed
test is read on its own (``GET .../tests/{id}``, names through ``filter[name]``), concurrently; otherwise
the remaining pages are read concurrently. So a small account costs one request, and 20 tests of a
10,000-test account cost 1 + 20 requests instead of 100 pages.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Literal

from reconciler.config.load import LoadedConfig
from reconciler.core.changes import Change
from reconciler.errors import NotFoundError, ResolveError, ServerError
from reconciler.http import ApiClient
from reconciler.providers.abtasty.changes import Kind
from reconciler.providers.abtasty.config import AbTastyConfig
from reconciler.providers.abtasty.state import Existing, ExistingMember, ExistingTest

PER_PAGE = 100
# Each round after the first starts by reading the membership list, so a retry is never blind; as many
# rounds as a lossy network needs (at 20% failures, 8 rounds fail about once in 2.5 million).
ADOPT_ATTEMPTS = 8


def parse_test(item: dict[str, Any]) -> ExistingTest:
    """A test payload -> ``ExistingTest``; ``state`` wins, ``active`` is the fallback."""
    state = item.get("state")
    if state not in ("play", "pause"):
        state = "play" if item.get("active") else "pause"
    return ExistingTest(
        id=int(item["id"]),
        name=str(item.get("name") or ""),
        state=state,
        preprod=bool(item.get("preprod")),
        start=int(item.get("start_datetime") or 0),
        stop=int(item.get("stop_datetime") or 0),
        timezone=str(item.get("start_stop_timezone") or ""),
    )


def parse_member(item: dict[str, Any]) -> ExistingMember:
    """A membership payload -> ``ExistingMember`` (the email lives in ``_embedded.user``)."""
    user = (item.get("_embedded") or {}).get("user") or {}
    email = user.get("email") or item.get("email") or ""
    return ExistingMember(id=int(item["id"]), email=str(email), role=str(item.get("role")))


TestSelection = Literal["all", "playing", "none"]


async def list_tests(client: ApiClient, account_id: int, *, playing_only: bool = False) -> list[ExistingTest]:
    """Every test of the account (only those that play with ``playing_only``), for export."""
    params = {"filter[active]": 1} if playing_only else None
    items = await client.get_hal_collection(
        f"/api/core/accounts/{account_id}/tests", params, per_page=PER_PAGE
    )
    tests = [parse_test(i) for i in items]
    # Filtered here too: the server's filter saves pages, but a server that ignored it must not leak
    # paused tests into a `--tests playing` export.
    return [t for t in tests if t.state == "play"] if playing_only else tests


async def list_members(client: ApiClient, account_id: int) -> list[ExistingMember]:
    """Every membership of the account."""
    items = await client.get_hal_collection(f"/api/core/accounts/{account_id}/membership", per_page=PER_PAGE)
    return [parse_member(i) for i in items]


async def fetch_account(
    client: ApiClient, account_id: int, *, tests: TestSelection = "all", members: bool = True
) -> Existing:
    """The whole account, not just what a config manages (``export``): tests by id, members by email."""
    tests_task = (
        list_tests(client, account_id, playing_only=tests == "playing") if tests != "none" else _empty()
    )
    members_task = list_members(client, account_id) if members else _none()
    found, people = await asyncio.gather(tests_task, members_task)
    return Existing(
        account_id,
        tests={t.id: t for t in found},
        members=None if people is None else {m.email.lower(): m for m in people},
    )


class AccountApi:
    """One AB Tasty account's calls: what a config manages read, one change made (``AbTastyProvider``
    delegates its ``fetch`` and ``execute`` here)."""

    def __init__(self, client: ApiClient, loaded: LoadedConfig, config: AbTastyConfig) -> None:
        self.client = client
        self.loaded = loaded
        self.config = config
        self.account_id = self.config.account.id
        self.core = f"/api/core/accounts/{self.account_id}"
        self.interface = f"/api/interface/accounts/{self.account_id}"

    async def fetch(self) -> Existing:
        """Tests the config lists and, when memberships are managed, the membership list."""
        config = self.config
        members_task = self._fetch_members() if config.memberships is not None else _none()
        tests, members = await asyncio.gather(self._fetch_tests(), members_task)
        by_id, names = self._resolve(tests)
        return Existing(
            self.account_id,
            tests=by_id,
            names=names,
            members=None if members is None else {m.email.lower(): m for m in members},
        )

    async def _fetch_members(self) -> list[ExistingMember]:
        return await list_members(self.client, self.account_id)

    async def _fetch_tests(self) -> list[ExistingTest]:
        entries = self.config.tests
        if not entries:
            return []
        first = await self.client.get_json(f"{self.core}/tests", {"_page": 1, "_max_per_page": PER_PAGE})
        items = list((first.get("_embedded") or {}).get("items") or [])
        pages = int(first.get("pages") or 1)
        if pages > 1 and len(entries) < pages - 1:
            return [*map(parse_test, items), *await self._fetch_each()]
        for page in await asyncio.gather(*(self._test_page(n) for n in range(2, pages + 1))):
            items.extend((page.get("_embedded") or {}).get("items") or [])
        return [parse_test(i) for i in items]

    async def _test_page(self, number: int) -> dict[str, Any]:
        # Page 1 already told how many pages there are (at the server's own page size): read the rest.
        body: dict[str, Any] = await self.client.get_json(
            f"{self.core}/tests", {"_page": number, "_max_per_page": PER_PAGE}
        )
        return body

    async def _fetch_each(self) -> list[ExistingTest]:
        """One GET per managed test: by id, or the name filter for names."""

        async def one(index: int) -> list[dict[str, Any]]:
            entry = self.config.tests[index]
            if entry.id is not None:
                try:
                    return [await self.client.get_json(f"{self.core}/tests/{entry.id}")]
                except NotFoundError:
                    return []  # reported by _resolve with the YAML line
            params = {"filter[name]": entry.name or ""}
            return await self.client.get_hal_collection(f"{self.core}/tests", params, per_page=PER_PAGE)

        found = await asyncio.gather(*(one(i) for i in range(len(self.config.tests))))
        return [parse_test(item) for items in found for item in items]

    def _resolve(self, tests: list[ExistingTest]) -> tuple[dict[int, ExistingTest], dict[str, int]]:
        """Index by id, resolve names; unknown ids/names and double declarations name the YAML line."""
        by_id = {t.id: t for t in tests}
        by_name: dict[str, list[int]] = {}
        for test in by_id.values():
            by_name.setdefault(test.name, []).append(test.id)
        names: dict[str, int] = {}
        problems: list[str] = []
        seen: dict[int, int] = {}
        for index, entry in enumerate(self.config.tests):
            where = self.loaded.where(("tests", index, "id" if entry.id is not None else "name"))
            if entry.id is not None:
                ident = entry.id
                if ident not in by_id:
                    problems.append(f"{where}: test {ident} does not exist in account {self.account_id}")
                    continue
            else:
                assert entry.name is not None
                ids = sorted(by_name.get(entry.name, []))
                if len(ids) != 1:
                    what = (
                        "no test is named"
                        if not ids
                        else f"{len(ids)} tests ({', '.join(map(str, ids))}) are named"
                    )
                    problems.append(
                        f"{where}: {what} {entry.name!r} in account {self.account_id}; use its id"
                    )
                    continue
                ident = names[entry.name] = ids[0]
            if ident in seen:
                first = self.loaded.where(("tests", seen[ident]))
                problems.append(f"{where}: test {ident} is already declared at {first}; declare it once")
            seen[ident] = index
        if problems:
            raise ResolveError("\n".join(problems))
        return by_id, names

    async def execute(self, change: Change) -> None:
        """One change, one call (two when a lost membership POST must be reconciled)."""
        match change.kind:
            case Kind.TEST_SCHEDULE:
                body = {k: v for k, v in change.after.items() if v is not None}
                await self._patch(f"{self.interface}/tests/{change.key}/schedule", body)
            case Kind.TEST_STATE if change.after["state"] == "play":
                await self._patch(f"{self.interface}/tests/{change.key}/play", {"mode": change.after["mode"]})
            case Kind.TEST_STATE:
                await self._patch(f"{self.interface}/tests/{change.key}/pause", None)
            case Kind.MEMBER_ADD:
                await self._add_member(change.name, change.after["role"])
            case Kind.MEMBER_ROLE:
                body = {"email": change.name, "role": change.after["role"]}
                await self._patch(f"{self.core}/membership/{change.before['id']}", body)
            case Kind.MEMBER_REVOKE:
                # Already gone (a retried DELETE, or someone else did it): the goal holds.
                with contextlib.suppress(NotFoundError):
                    await self.client.request("DELETE", f"{self.core}/membership/{change.before['id']}")
            case Kind.SCRIPT_UPDATE:
                await self._patch(f"{self.interface}/update_script", None)

    async def _patch(self, path: str, body: dict[str, Any] | None) -> None:
        # Setting a state is idempotent, so a PATCH may be repeated after a lost connection.
        await self.client.request("PATCH", path, json=body, idempotent=True)

    async def _add_member(self, email: str, role: str) -> None:
        """POST, but never blindly twice: after a lost answer, read the list and adopt what is there."""
        for attempt in range(1, ADOPT_ATTEMPTS + 1):
            try:
                await self.client.request(
                    "POST", f"{self.core}/membership", json={"email": email, "role": role}
                )
                return
            except ServerError:
                # The request may or may not have been processed. Look before sending it again.
                existing = await self._fetch_members()
                match = next((m for m in existing if m.email.lower() == email.lower()), None)
                if match is not None:
                    if match.role != role:
                        await self._patch(
                            f"{self.core}/membership/{match.id}", {"email": email, "role": role}
                        )
                    return
                if attempt == ADOPT_ATTEMPTS:
                    raise


async def _none() -> None:
    return None


async def _empty() -> list[ExistingTest]:
    return []
