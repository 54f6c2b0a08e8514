"""HAL (AB Tasty) and Link-header (Taplytics) pagination."""

from __future__ import annotations

import logging

import httpx
import pytest

from reconciler.errors import NotFoundError, ServerError, TransportError
from reconciler.http import ApiClient, OAuth2ClientCredentials, TokenHeaderAuth, parse_link_header
from reconciler.http.paging import pager
from tests.support.fake_http import CANARY_SECRET, CLIENT_ID, TESTS_PATH, TOKEN_PATH, FakeAbTasty

BASE = "https://api.abtasty.test"

# Verbatim from the Taplytics documentation, stray trailing quote included.
DOC_LINK = (
    "<https://api.taplytics.com/v2/users?api_token=YOUR_API_TOKEN&page=4&per_page=100>; rel='last', "
    "<https://api.taplytics.com/v2/users?api_token=YOUR_API_TOKEN&page=2&per_page=100>; rel='next', "
    "<https://api.taplytics.com/v2/users?api_token=YOUR_API_TOKEN&page=1&per_page=100>; rel='first'\""
)


def abtasty(fake: FakeAbTasty, parallelism: int = 8) -> ApiClient:
    auth = OAuth2ClientCredentials(BASE + TOKEN_PATH, CLIENT_ID, CANARY_SECRET)
    return ApiClient(BASE, auth, transport=httpx.ASGITransport(app=fake.app()), parallelism=parallelism)


async def test_hal_trusts_the_servers_page_cap_and_reads_pages_concurrently(fake: FakeAbTasty) -> None:
    fake.item_count, fake.page_cap, fake.delay = 95, 10, 0.02
    async with abtasty(fake, parallelism=4) as client:
        items = await pager(client).hal(TESTS_PATH, per_page=100)
        assert client.request_count == 1 + 10  # 1 token + 10 pages, nothing more
    assert [item["id"] for item in items] == list(range(95))  # complete, in page order
    assert fake.api_requests[0] == f"{TESTS_PATH}?_page=1&_max_per_page=100"
    assert sorted(fake.api_requests[1:]) == sorted(
        f"{TESTS_PATH}?_page={n}&_max_per_page=10" for n in range(2, 11)
    )
    assert 1 < fake.max_in_flight <= 4


async def test_a_large_ask_capped_without_a_word_is_remembered_for_the_run(fake: FakeAbTasty) -> None:
    fake.item_count, fake.page_cap = 250, 100  # any size is taken, 100 served: `limit` says so
    async with abtasty(fake) as client:
        first = await pager(client).hal(TESTS_PATH, per_page=1000)
        second = await pager(client).hal(TESTS_PATH, per_page=1000)
        assert pager(client).size_cap == 100
    assert [item["id"] for item in first] == list(range(250)) == [item["id"] for item in second]
    assert fake.api_requests[0] == f"{TESTS_PATH}?_page=1&_max_per_page=1000"
    assert fake.api_requests[3] == f"{TESTS_PATH}?_page=1&_max_per_page=100"  # the cap, asked directly
    assert len(fake.api_requests) == 6  # 3 pages each: not one request more than asking 100 would cost


async def test_a_short_single_page_is_no_cap(fake: FakeAbTasty) -> None:
    fake.item_count, fake.page_cap = 7, 7  # `limit` 7 for 7 items: nothing says the server caps
    async with abtasty(fake) as client:
        assert len(await pager(client).hal(TESTS_PATH, per_page=1000)) == 7
        assert pager(client).size_cap is None


@pytest.mark.parametrize(
    ("refusal", "largest", "tries"),
    [
        ("Invalid parameter '_max_per_page'", 100, ["1000", "100"]),  # no limit named: 100 next
        ("Invalid parameter '_max_per_page'", 50, ["1000", "100", "10"]),  # then the documented default
        ("_max_per_page must be at most 200", 200, ["1000", "200"]),  # the limit named
    ],
)
async def test_a_refused_page_size_steps_down_and_the_size_taken_is_remembered(
    fake: FakeAbTasty, caplog: pytest.LogCaptureFixture, refusal: str, largest: int, tries: list[str]
) -> None:
    caplog.set_level(logging.INFO)
    fake.item_count, fake.page_cap, fake.max_per_page, fake.refusal = 450, 1000, largest, refusal
    async with abtasty(fake) as client:
        items = await pager(client).hal(TESTS_PATH, per_page=1000)
        again = await pager(client).hal(TESTS_PATH, per_page=1000)
    assert [item["id"] for item in items] == list(range(450)) == [item["id"] for item in again]
    asked = [path.split("_max_per_page=")[1] for path in fake.api_requests if "_page=1&" in path]
    assert asked == [*tries, tries[-1]]  # the second collection asks the remembered size at once
    assert f"page size refused ({refusal}); asking {tries[1]} a page" in caplog.text


async def test_hal_keeps_caller_params(fake: FakeAbTasty) -> None:
    fake.item_count = 25
    async with abtasty(fake) as client:
        items = await pager(client).hal(TESTS_PATH, {"filter[active]": 1})
    assert len(items) == 25
    assert all("filter%5Bactive%5D=1" in path for path in fake.api_requests)


async def test_hal_single_page_is_one_request(fake: FakeAbTasty) -> None:
    fake.item_count, fake.page_cap = 7, 100
    async with abtasty(fake) as client:
        items = await pager(client).hal(TESTS_PATH)
        assert client.request_count == 2  # token + page 1
    assert len(items) == 7


async def test_hal_empty_collection(fake: FakeAbTasty) -> None:
    fake.item_count = 0
    async with abtasty(fake) as client:
        assert await pager(client).hal(TESTS_PATH) == []


async def test_hal_without_pages_follows_links_next(fake: FakeAbTasty) -> None:
    fake.item_count, fake.page_cap, fake.include_pages = 23, 10, False
    async with abtasty(fake) as client:
        items = await pager(client).hal(TESTS_PATH)
    assert [item["id"] for item in items] == list(range(23))
    assert len(fake.api_requests) == 3


async def test_hal_error_on_one_page_propagates(fake: FakeAbTasty) -> None:
    fake.item_count, fake.page_cap = 50, 10
    fake.fail_pages = {3: 404}
    async with abtasty(fake) as client:
        with pytest.raises(NotFoundError, match="page 3 failed"):
            await pager(client).hal(TESTS_PATH)


def test_link_header_doc_example() -> None:
    links = parse_link_header(DOC_LINK)
    assert links == {
        "last": "https://api.taplytics.com/v2/users?api_token=YOUR_API_TOKEN&page=4&per_page=100",
        "next": "https://api.taplytics.com/v2/users?api_token=YOUR_API_TOKEN&page=2&per_page=100",
        "first": "https://api.taplytics.com/v2/users?api_token=YOUR_API_TOKEN&page=1&per_page=100",
    }


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://h/x?page=2>; rel="next"', {"next": "https://h/x?page=2"}),
        ("<https://h/x?page=2>; rel=next", {"next": "https://h/x?page=2"}),
        (
            '<https://h/x?page=2>; rel="next", <https://h/x?page=9>; rel="last"',
            {"next": "https://h/x?page=2", "last": "https://h/x?page=9"},
        ),
        (
            '<https://h/x?a=1,2>; title="t"; REL="Next Last"',
            {"next": "https://h/x?a=1,2", "last": "https://h/x?a=1,2"},
        ),
        ("<https://h/x>; rel='prev'\"", {"prev": "https://h/x"}),
        ("", {}),
        ("garbage", {}),
    ],
)
def test_link_header_forms(header: str, expected: dict[str, str]) -> None:
    assert parse_link_header(header) == expected


def taplytics_handler(pages: int, *, dict_body: bool = False, quote: str = "'") -> httpx.MockTransport:
    """Pages 1..pages of users; the Link header built like the doc's (absolute URLs, api_token inside)."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        page = int(request.url.params.get("page", "1"))
        users = [{"email": f"u{page}-{i}@example.com"} for i in range(3)]
        url = "https://api.taplytics.test/v2/users?api_token=" + CANARY_SECRET + "&page={}&per_page=3"
        links = [f"<{url.format(pages)}>; rel={quote}last{quote}"]
        if page < pages:
            links.append(f"<{url.format(page + 1)}>; rel={quote}next{quote}")
        links.append(f'<{url.format(1)}>; rel={quote}first{quote}"')
        body = {"users": users, "numEntities": 3 * pages} if dict_body else users
        return httpx.Response(200, json=body, headers={"Link": ", ".join(links)})

    transport = httpx.MockTransport(handler)
    transport.sent = sent  # type: ignore[attr-defined]
    return transport


@pytest.mark.parametrize(("dict_body", "quote"), [(False, "'"), (True, '"')])
async def test_link_collection_follows_next(
    dict_body: bool, quote: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    transport = taplytics_handler(3, dict_body=dict_body, quote=quote)
    auth = TokenHeaderAuth("tap-" + CANARY_SECRET)
    async with ApiClient("https://api.taplytics.test", auth, transport=transport) as client:
        users = await pager(client).links("/v2/users", per_page=3)
        assert client.request_count == 3
    assert [u["email"] for u in users][:4] == [
        "u1-0@example.com",
        "u1-1@example.com",
        "u1-2@example.com",
        "u2-0@example.com",
    ]
    assert len(users) == 9
    sent = transport.sent  # type: ignore[attr-defined]
    assert sent[0] == "https://api.taplytics.test/v2/users?page=1&per_page=3"
    assert sent[1:] == [  # the server's URLs, as given, minus the token they echo (it goes in the header)
        "https://api.taplytics.test/v2/users?page=2&per_page=3",
        "https://api.taplytics.test/v2/users?page=3&per_page=3",
    ]
    assert CANARY_SECRET not in caplog.text and "api_token" not in caplog.text


async def test_link_collection_with_items_key() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"count": [1], "experiments": [{"id": 1}, {"id": 2}]})

    async with ApiClient("https://t.test", None, transport=httpx.MockTransport(handler)) as client:
        assert await pager(client).links("/v1/experiments", items_key="experiments") == [
            {"id": 1},
            {"id": 2},
        ]
        assert await pager(client).links("/v1/experiments") == [1]  # first list-valued key
        with pytest.raises(ServerError, match="expected a list under 'missing'"):
            await pager(client).links("/v1/experiments", items_key="missing")


async def test_link_to_another_origin_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json=[1], headers={"Link": '<https://evil.test/v2/users?page=2>; rel="next"'}
        )

    async with ApiClient("https://t.test", None, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(TransportError, match="another origin"):
            await pager(client).links("/v2/users")
        assert client.request_count == 1


async def test_link_pointing_back_is_a_server_error() -> None:
    # The doc's own example, served for every page: "next" is page 2 whatever page was asked. A loop is
    # reported (issue 13), not walked and not silently cut short: the list read so far is incomplete.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[request.url.params["page"]], headers={"Link": DOC_LINK})

    async with ApiClient("https://api.taplytics.com", None, transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(
            ServerError, match=r"^GET /v2/users -> 200: pagination loop: the Link header's next"
        ):
            await pager(c).links("/v2/users")
        assert c.request_count == 2
