"""AB Tasty Public API: endpoints and payload <-> core mapping.

How tests are fetched: the first page of the test list (100 a page) tells how many pages the account has.
When the config manages fewer tests than there are pages left, each managed test is read on its own
(``GET .../tests/{id}``, names through ``filter[name]``), concurrently; otherwise the remaining pages are
read concurrently. Up to 100 managed tests are read one by one from the start, beside page 1, so 20 tests
of a 10,000-test account cost 1 + 20 requests in 3 round trips at 8 in flight (not 1 + 3); a small
account costs page 1 and the single reads already under way when it answers (about one per free slot).
A server that refuses 100 a page (400) is asked again at the size its message names (else 10); one that
does not say how many pages there are is read by following ``_links.next``.

Hosts: tests, play, pause and schedule go to the client's base URL (``api_url``), membership and the
script to ``api2_url``, as the document's examples put them (one URL for both works too).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import httpx

from reconciler.config.loaded import LoadedConfig
from reconciler.core.changes import Change
from reconciler.core.suggest import did_you_mean
from reconciler.core.tasks import all_or_cancel
from reconciler.core.text import escape_non_ascii
from reconciler.errors import NotFoundError, RequestFailedError, ResolveError, ServerError
from reconciler.http import ApiClient, Route, field, optional_field
from reconciler.http.paging import gather, pager
from reconciler.providers.abtasty import selectors
from reconciler.providers.abtasty.changes import Kind
from reconciler.providers.abtasty.config import AbTastyConfig, Selector
from reconciler.providers.abtasty.state import Existing, ExistingMember, ExistingTest
from reconciler.providers.abtasty.when import parse_instant

PER_PAGE = 100
# A collection read whole asks this many a page: the document gives `_max_per_page` a default of 10 and no
# maximum, and the pager trusts the `limit` / `pages` a capping server answers (and remembers its cap), or
# steps down after a 400 (the limit it names, else 100, else 10). Ten times fewer pages where a server
# allows it; where it caps at 100 the same requests as before (bench/results.md, issue 29).
WHOLE_PER_PAGE = 1000
# Each round after the first starts by reading the membership list, so a retry is never blind; as many
# rounds as a lossy network needs (at 20% failures, 8 rounds fail about once in 2.5 million).
ADOPT_ATTEMPTS = 8
# Up to this many managed tests are read one by one while page 1 (of PER_PAGE) is on its way
# (``_fetch_tests``): beyond a page's worth, reading the pages is never slower.
SPECULATE_UP_TO = PER_PAGE


def parse_test(item: Any, route: Route | str) -> ExistingTest:
    """A test payload -> ``ExistingTest``; ``state`` wins, ``active`` is the fallback. A field of the wrong
    type is a ``ServerError`` naming ``route`` and the field; dates may come in any shape ``when`` reads."""
    state = optional_field(item, "state", str, route)
    if state not in ("play", "pause"):
        state = "play" if _flag(item, "active", route) else "pause"
    preprod = _flag(item, "preprod", route)
    if state == "pause" and preprod and _played_since_paused(item, route):
        state = "play"
    timezone = optional_field(item, "start_stop_timezone", str, route) or ""
    return ExistingTest(
        id=field(item, "id", int, route),
        name=optional_field(item, "name", str, route) or "",
        state=state,
        preprod=preprod,
        start=parse_instant(item.get("start_datetime"), timezone, "start_datetime", route),
        stop=parse_instant(item.get("stop_datetime"), timezone, "stop_datetime", route),
        timezone=timezone,
    )


def _played_since_paused(item: dict[str, Any], route: Route | str) -> bool:
    """A preprod test that answers ``state: "pause"`` but was played after its last pause plays in preprod:
    a server may keep ``state`` for what visitors see, and preprod is not live to them (AB:241)."""
    played = optional_field(item, "last_play_timestamp", int, route) or 0
    paused = optional_field(item, "last_pause_timestamp", int, route) or 0
    return played > paused


def parse_facets(item: Any, route: Route | str) -> selectors.Facets:
    """What a selector checks that ``parse_test`` does not keep: type, tags (``labels``), folder id. The
    folder is ``_embedded.folder``: null, or a mapping with an ``id`` (a bare id is read too)."""
    labels = optional_field(item, "labels", list, route) or []
    embedded = optional_field(item, "_embedded", dict, route) or {}
    folder = embedded.get("folder")
    if isinstance(folder, dict):
        folder = optional_field(folder, "id", int, route)
    return selectors.Facets(
        type=optional_field(item, "type", str, route) or "",
        labels=tuple(str(label) for label in labels),
        folder=folder if isinstance(folder, int) and not isinstance(folder, bool) else 0,
    )


def _flag(item: dict[str, Any], key: str, route: Route | str) -> bool:
    # true/false as documented, or 0/1 as the filters spell them (filter[active] 0/1)
    value = item.get(key)
    if value in (None, 0, 1):
        return bool(value)
    return field(item, key, bool, route)


def parse_member(item: Any, route: Route | str) -> ExistingMember:
    """A membership payload -> ``ExistingMember`` (the email lives in ``_embedded.user``)."""
    embedded = optional_field(item, "_embedded", dict, route) or {}
    user = optional_field(embedded, "user", dict, route) or {}
    email = optional_field(user, "email", str, route) or optional_field(item, "email", str, route) or ""
    # Roles are documented lower-case only as the parameter's format: an answer's "Admin" is the admin role.
    role = field(item, "role", str, route).strip().casefold()
    return ExistingMember(id=field(item, "id", int, route), email=email, role=role)


def self_href(item: Any) -> str | None:
    """An item's ``_links.self.href`` (a string), else None."""
    links = item.get("_links") if isinstance(item, dict) else None
    link = links.get("self") if isinstance(links, dict) else None
    href = link.get("href") if isinstance(link, dict) else None
    return href if isinstance(href, str) and href else None


def _by_email(members: list[ExistingMember], route: str) -> dict[str, ExistingMember]:
    """Memberships by case-folded email; the same person twice (``a@x`` and ``A@x``) is refused: which
    membership a change of that person should touch cannot be told, and guessing could revoke the wrong one."""
    found: dict[str, ExistingMember] = {}
    for member in members:
        key = member.email.lower()
        if key in found and found[key].id != member.id:
            raise ServerError(
                "GET",
                route,
                200,
                f"the membership list holds {escape_non_ascii(key)} twice (ids {found[key].id} and {member.id}): "
                "remove the duplicate in AB Tasty, then plan again",
            )
        found[key] = member
    return found


TestSelection = Literal["all", "playing", "none"]


async def list_tests(client: ApiClient, account_id: int, *, playing_only: bool = False) -> list[ExistingTest]:
    """Every test of the account (only those that play with ``playing_only``), for export."""
    params = {"filter[active]": 1} if playing_only else None
    path = f"/api/core/accounts/{account_id}/tests"
    tests = await pager(client).hal(
        path, params, per_page=WHOLE_PER_PAGE, parse=lambda i: parse_test(i, path)
    )
    # Filtered here too: the server's filter saves pages, but a server that ignored it must not leak
    # paused tests into a `--tests playing` export.
    return [t for t in tests if t.state == "play"] if playing_only else tests


def api2_root(client: ApiClient, api2_url: str | None) -> str:
    """What goes before an api2 route's path (membership, script): nothing when api2 is the client's own
    host (one URL for both, as the sandbox and older configs have it), else the api2 URL."""
    if not api2_url or httpx.URL(api2_url) == client.origin:
        return ""
    return api2_url.rstrip("/")


async def list_members(client: ApiClient, account_id: int, api2: str = "") -> list[ExistingMember]:
    """Every membership of the account (``api2``: see ``api2_root``)."""
    path = f"{api2}/api/core/accounts/{account_id}/membership"
    route = f"/api/core/accounts/{account_id}/membership"
    return await pager(client).hal(path, per_page=WHOLE_PER_PAGE, parse=lambda i: parse_member(i, route))


async def fetch_account(
    client: ApiClient,
    account_id: int,
    *,
    tests: TestSelection = "all",
    members: bool = True,
    api2: str = "",
) -> Existing:
    """The whole account, not just what a config manages (``export``): tests by id, members by email."""
    tests_task = (
        list_tests(client, account_id, playing_only=tests == "playing") if tests != "none" else _empty()
    )
    members_task = list_members(client, account_id, api2) if members else _none()
    reads = asyncio.ensure_future(tests_task), asyncio.ensure_future(members_task)
    await all_or_cancel(reads)  # a refused token stops both reads before the client closes
    found, people = reads[0].result(), reads[1].result()
    return Existing(
        account_id,
        tests={t.id: t for t in found},
        members=None if people is None else {m.email.lower(): m for m in people},
    )


class AccountApi:
    """One AB Tasty account's calls: what a config manages read, one change made (``AbTastyProvider``
    delegates its ``fetch`` and ``execute`` here)."""

    def __init__(
        self, client: ApiClient, loaded: LoadedConfig, config: AbTastyConfig, api2_url: str | None = None
    ) -> None:
        self.client = client
        self.loaded = loaded
        self.config = config
        self.account_id = self.config.account.id
        self.core = f"/api/core/accounts/{self.account_id}"
        self.interface = f"/api/interface/accounts/{self.account_id}"
        # The document's examples put membership and the script on api2.abtasty.com, tests on api.
        self.api2 = api2_root(client, api2_url)
        self.members = f"{self.api2}{self.core}/membership"
        self.member_links: dict[str, str] = {}  # lower-cased email -> the membership's _links.self.href

    async def fetch(self) -> Existing:
        """Tests the config lists, those its selectors match and, when memberships are managed, the
        membership list. Selectors that disagree on a test are refused here, with their lines."""
        config = self.config
        members_task = self._fetch_members() if config.memberships is not None else _none()
        reads = (
            asyncio.ensure_future(self._fetch_tests()),
            asyncio.ensure_future(self._fetch_selected()),
            asyncio.ensure_future(members_task),
        )
        await all_or_cancel(reads)  # the first error stops the other reads before the client closes
        (tests, playing), (chosen, matches) = reads[0].result(), reads[1].result()
        members = reads[2].result()
        tests += await self._read_unlisted(tests)
        by_id, names = self._resolve([*tests, *chosen])
        existing = Existing(
            self.account_id,
            tests=by_id,
            names=names,
            matches=matches,
            members=None if members is None else _by_email(members, self.members),
            playing=playing,
        )
        self._refuse_conflicts(existing)
        return existing

    async def _fetch_selected(self) -> tuple[list[ExistingTest], dict[int, tuple[int, ...]]]:
        """One filtered, paged read per selector (concurrently), each answer checked again locally."""
        chosen = selectors.selected(self.config)
        found = await gather([self._read_selected(s) for _, s in chosen])
        tests = [t for group in found for t in group]
        return tests, {
            i: tuple(sorted(t.id for t in group)) for (i, _), group in zip(chosen, found, strict=True)
        }

    async def _read_selected(self, selector: Selector) -> list[ExistingTest]:
        path = f"{self.core}/tests"
        parsed = await pager(self.client).hal(
            path,
            selectors.params(selector),
            per_page=PER_PAGE,
            parse=lambda i: (parse_test(i, path), parse_facets(i, path)),
        )
        # The local check decides (selectors' docstring): a server that ignored a filter must not widen it.
        return [test for test, facets in parsed if selectors.matches(selector, test, facets)]

    def _refuse_conflicts(self, existing: Existing) -> None:
        """Two selectors that want different things of one test: both lines, the test, the way out."""
        _, conflicts = selectors.resolve(self.config, existing)
        problems = []
        for c in conflicts:
            test = existing.tests[c.test]
            first, second = (self.loaded.where(("tests", i, "select")) for i in (c.first, c.second))
            problems.append(
                f"{second}: {selectors.name_of(self.config, c.second)} and "
                f"{selectors.name_of(self.config, c.first)} (at {first}) both match test {test.id} "
                f"{test.name!r} and disagree on its {c.what} ({selectors.wanted(self.config, c.second, c.what)} "
                f"vs {selectors.wanted(self.config, c.first, c.what)}): narrow one of them (exclude_tag, type, ...) "
                "or give the test an entry of its own (id: ...), which wins over both"
            )
        if problems:
            raise ResolveError("\n".join(problems))

    async def _fetch_members(self) -> list[ExistingMember]:
        path = f"{self.api2}{self.core}/membership"
        route = f"{self.core}/membership"
        read = await pager(self.client).hal(
            path, per_page=WHOLE_PER_PAGE, parse=lambda i: (parse_member(i, route), self._membership_href(i))
        )
        for member, href in read:
            if href:
                self.member_links[member.email.lower()] = href
        return [member for member, _ in read]

    def _own_entries(self) -> list[int]:
        """The indices of the ``id`` / ``name`` entries (selectors are read by ``_fetch_selected``)."""
        return [i for i, entry in enumerate(self.config.tests) if entry.select is None]

    async def _fetch_tests(self) -> tuple[list[ExistingTest], int | None]:
        """The listed tests, and how many tests of the account play in production (the pause rail's
        denominator: the account's, not the config's, so no entry of the config can dilute it)."""
        entries = self._own_entries()
        if not entries:
            return [], None
        path = f"{self.core}/tests"
        # A few managed tests are read one by one at once, beside page 1, rather than after it: in a large
        # account that saves the round trip page 1 costs. When page 1 shows the pages are the cheaper way
        # (a small account), the reads not yet started are dropped; those under way finish (as page 1 does).
        enough = asyncio.Event()
        each = asyncio.ensure_future(self._fetch_each(enough)) if len(entries) <= SPECULATE_UP_TO else None
        # Many managed tests: every page is read, so in as few pages as the server allows.
        size = PER_PAGE if each is not None else WHOLE_PER_PAGE
        try:
            first = await pager(self.client).hal_first(path, per_page=size)
        except BaseException:
            if each is not None:
                each.cancel()
                await asyncio.gather(each, return_exceptions=True)
            raise
        items = first.page.items
        pages = first.page.pages  # None: the server did not say, so the links are followed
        if pages is not None and pages > 1 and len(entries) < pages - 1:
            # Only page 1 is read: one more read, of one item, counts the playing tests.
            reads = (
                asyncio.ensure_future(each or self._fetch_each()),
                asyncio.ensure_future(self._count_playing()),
            )
            await all_or_cancel(reads)
            found, playing = reads[0].result(), reads[1].result()
            return [*(parse_test(i, path) for i in items), *found], playing
        if each is not None:
            enough.set()
            await asyncio.gather(each, return_exceptions=True)  # its answers (or errors) are not needed
        rest = await pager(self.client).hal_rest(path, None, first, parse=lambda i: parse_test(i, path))
        every = [*(parse_test(i, path) for i in items), *rest]
        return every, sum(t.state == "play" and not t.preprod for t in every)

    async def _count_playing(self) -> int | None:
        """The account's playing tests, from the ``total`` of a one-item page filtered on ``active``."""
        first = await pager(self.client).hal_first(f"{self.core}/tests", {"filter[active]": 1}, per_page=1)
        return first.page.total

    async def _fetch_each(self, enough: asyncio.Event | None = None) -> list[ExistingTest]:
        """One GET per managed test (by id, or the name filter for names), ``parallelism`` workers at a
        time; once ``enough`` is set, no worker starts another read."""
        entries = self._own_entries()
        found: dict[int, list[tuple[Any, str]]] = {}

        async def one(index: int) -> list[tuple[Any, str]]:
            entry = self.config.tests[index]
            if entry.id is not None:
                try:
                    path = f"{self.core}/tests/{entry.id}"
                    return [(await self.client.get_json(path), path)]
                except NotFoundError:
                    return []  # reported by _resolve with the YAML line
            params = {"filter[name]": entry.name or ""}
            named = await pager(self.client).hal(f"{self.core}/tests", params, per_page=PER_PAGE)
            return [(item, f"{self.core}/tests") for item in named]

        queue = iter(entries)

        async def worker() -> None:
            for index in queue:  # shared: each entry is read by one worker
                if enough is not None and enough.is_set():
                    return
                found[index] = await one(index)

        await gather([worker() for _ in range(min(self.client.parallelism, len(entries)))])
        return [parse_test(item, route) for index in entries for item, route in found.get(index, [])]

    async def _read_unlisted(self, listed: list[ExistingTest]) -> list[ExistingTest]:
        """The tests managed by id that the list did not hold, each read on its own before it is called
        missing: a list may leave out child tests (``filter[parent][]`` "0 for no parent", AB:236)."""
        have = {t.id for t in listed}
        wanted = sorted({e.id for e in self.config.tests if e.id is not None and e.select is None} - have)

        async def one(ident: int) -> ExistingTest | None:
            path = f"{self.core}/tests/{ident}"
            try:
                return parse_test(await self.client.get_json(path), path)
            except NotFoundError:
                return None  # reported by _resolve with the YAML line

        found = await gather([one(ident) for ident in wanted])
        return [t for t in found if t is not None]

    def _resolve(self, tests: list[ExistingTest]) -> tuple[dict[int, ExistingTest], dict[str, int]]:
        """Index by id, resolve names; unknown ids/names and double declarations name the YAML line."""
        by_id = {t.id: t for t in tests}
        by_name: dict[str, list[int]] = {}
        for test in by_id.values():
            by_name.setdefault(test.name, []).append(test.id)
        names: dict[str, int] = {}
        problems: list[str] = []
        seen: dict[int, int] = {}
        where = self.loaded.where  # called for a problem only: the first call builds the position tables
        for index in self._own_entries():
            entry = self.config.tests[index]
            spot = ("tests", index, "id" if entry.id is not None else "name")
            if entry.id is not None:
                ident = entry.id
                if ident not in by_id:
                    problems.append(
                        f"{where(spot)}: test {ident} does not exist in account {self.account_id}"
                    )
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
                    # A suggestion costs a pass over every name: the first few unknown names get one.
                    hint = did_you_mean(entry.name, by_name) if not ids and len(problems) < 20 else ""
                    fix = f"{hint} Else use its id" if hint else "; use its id"
                    problems.append(f"{where(spot)}: {what} {entry.name!r} in account {self.account_id}{fix}")
                    continue
                ident = names[entry.name] = ids[0]
            if ident in seen:
                first = where(("tests", seen[ident]))
                problems.append(
                    f"{where(spot)}: test {ident} is already declared at {first}; declare it once"
                )
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
                await self._patch(self._member_path(change.name, change.before["id"]), body)
            case Kind.MEMBER_REVOKE:
                await self._revoke(change.name, change.before["id"])
            case Kind.SCRIPT_UPDATE:
                await self._patch(f"{self.api2}{self.interface}/update_script", None)

    async def _patch(self, path: str, body: dict[str, Any] | None) -> None:
        # Setting a state is idempotent, so a PATCH may be repeated after a lost connection.
        await self.client.request("PATCH", path, json=body, idempotent=True)

    async def _add_member(self, email: str, role: str) -> None:
        """POST, but never blindly twice: after a lost answer, read the list and adopt what is there."""
        for attempt in range(1, ADOPT_ATTEMPTS + 1):
            try:
                # Any 2xx is success, whatever its body (the example says 200 with the membership, the
                # status table 201): the next plan reads the membership list and is the check.
                await self.client.request("POST", self.members, json={"email": email, "role": role})
                return
            except RequestFailedError:
                # "Already a member": a POST the server committed and answered 503 (a router timeout),
                # repeated. Done if the member is there; any other refusal stands.
                if not await self._adopt(email, role):
                    raise
                return
            except ServerError:
                # The request may or may not have been processed. Look before sending it again.
                if await self._adopt(email, role):
                    return
                if attempt == ADOPT_ATTEMPTS:
                    raise

    async def _adopt(self, email: str, role: str) -> bool:
        """Whether ``email`` is a member now (its role set to ``role`` if it holds another)."""
        match = next((m for m in await self._fetch_members() if m.email.lower() == email.lower()), None)
        if match is None:
            return False
        if match.role != role:
            await self._patch(self._member_path(match.email, match.id), {"email": email, "role": role})
        return True

    def _membership_href(self, item: Any) -> str | None:
        """The item's self link when it names a membership of this account (relative links go to the host
        the list came from); anything else is ignored and the membership id used."""
        href = self_href(item)
        if href is None or not httpx.URL(href).path.startswith(f"{self.core}/membership/"):
            return None
        return f"{self.api2}{href}" if href.startswith("/") else href

    def _member_path(self, email: str, member_id: int) -> str:
        """Where a membership is changed: the item's own ``_links.self.href`` when it gave one (a server may
        key the path by the user's id, not the membership's: AB:1153 against the example at AB:1108)."""
        return self.member_links.get(email.lower()) or f"{self.members}/{member_id}"

    async def _revoke(self, email: str, member_id: int) -> None:
        """DELETE; a 404 is "already gone" only once a fresh read shows the member gone."""
        try:
            await self.client.request("DELETE", self._member_path(email, member_id))
        except NotFoundError:
            if any(m.email.lower() == email.lower() for m in await self._fetch_members()):
                raise


async def _none() -> None:
    return None


async def _empty() -> list[ExistingTest]:
    return []
