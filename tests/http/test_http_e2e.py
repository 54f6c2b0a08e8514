"""End to end over real HTTP: ApiClient against a uvicorn server on 127.0.0.1 (no mock transport)."""

from __future__ import annotations

import logging

import pytest

from reconciler.errors import AuthError
from reconciler.http import ApiClient, OAuth2ClientCredentials, RetryPolicy
from reconciler.http.paging import pager
from tests.support.fake_http import (
    CANARY_SECRET,
    CLIENT_ID,
    TESTS_PATH,
    TOKEN_PATH,
    FakeAbTasty,
    SleepRecorder,
    serve_in_thread,
)


async def test_real_server_paginates_retries_and_refreshes(
    fake: FakeAbTasty, sleeps: SleepRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.item_count, fake.page_cap, fake.delay = 57, 10, 0.01
    with serve_in_thread(fake.app()) as url:
        auth = OAuth2ClientCredentials(url + TOKEN_PATH, CLIENT_ID, CANARY_SECRET)
        async with ApiClient(url, auth, parallelism=3, retry=RetryPolicy(sleep=sleeps)) as client:
            items = await pager(client).hal(TESTS_PATH)
            assert [item["id"] for item in items] == list(range(57))
            assert client.request_count == 1 + 6
            assert 1 < fake.max_in_flight <= 3

            # A 429 and a 503 injected, then the token is revoked mid-run: the answer is still right.
            fake.faults = [(429, {"Retry-After": "2"}), (503, {})]
            fake.revoke_all()
            again = await pager(client).hal(TESTS_PATH)
            assert again == items
            assert len(fake.token_bodies) == 2
            assert 2.0 <= sleeps.delays[0] <= 3.0  # Retry-After: 2, plus up to 50% jitter
            summary = client.log_summary()

        bad = OAuth2ClientCredentials(url + TOKEN_PATH, CLIENT_ID, "not-the-secret")
        async with ApiClient(url, bad) as client:
            with pytest.raises(AuthError, match="The client credentials are invalid"):
                await pager(client).hal(TESTS_PATH)

    assert summary.endswith(" requests")
    assert CANARY_SECRET not in caplog.text
    assert not any(token in caplog.text for token in fake.issued)
