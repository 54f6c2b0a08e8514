"""Secrets never leave: Secret, the Redactor, the logging filter, and a canary through a whole run."""

from __future__ import annotations

import logging
import pickle
import re
import sys
from collections.abc import Callable, Coroutine

import httpx
import hypothesis
import pytest
from hypothesis import strategies as st

from reconciler.errors import AuthError, ReconcilerError
from reconciler.http import ApiClient, OAuth2ClientCredentials, RetryPolicy
from reconciler.http.paging import pager
from reconciler.redaction import MASK, RedactingFilter, Redactor, Secret, redact
from reconciler.redaction.redactor import _PATTERNS
from tests.support.fake_http import (
    CANARY_SECRET,
    CLIENT_ID,
    TESTS_PATH,
    TOKEN_PATH,
    FakeAbTasty,
    SleepRecorder,
)
from tests.support.properties import examples

BASE = "https://api.abtasty.test"


def test_secret_hides_its_value() -> None:
    secret = Secret("s3cr3t-value-123")
    assert str(secret) == repr(secret) == f"{secret}" == f"{secret!r}" == "***"
    assert secret.reveal() == "s3cr3t-value-123"
    assert "s3cr3t" not in repr({"secret": secret})
    assert Secret(secret).reveal() == "s3cr3t-value-123"
    assert secret == Secret("s3cr3t-value-123")
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_secret_registers_with_the_process_redactor() -> None:
    Secret("registered-by-construction-42")
    assert redact("oops: registered-by-construction-42!") == "oops: ***!"


def test_redactor_masks_longest_first_and_ignores_tiny_values() -> None:
    redactor = Redactor()
    redactor.register("abcd", "abcdef", "x")
    assert redactor.redact("abcdefgh abcd x") == "***gh *** x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /v2/users?api_token=abc123&page=2", "GET /v2/users?api_token=***&page=2"),
        ('{"access_token": "zzz999", "expires_in": 1}', '{"access_token": "***", "expires_in": 1}'),
        ("Authorization: Bearer eyJhbGciOi.x-y_z", "Authorization: Bearer ***"),
        ('{"client_secret":"hunter2hunter2"}', '{"client_secret":"***"}'),
    ],
)
def test_secret_shapes_are_masked_even_unregistered(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_logging_filter_redacts_message_args_and_exception() -> None:
    Secret("filter-secret-777")
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "token %s and %r", ("filter-secret-777", 1), None
    )
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "token *** and 1"
    assert record.args is None
    try:
        raise ValueError("boom filter-secret-777")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    RedactingFilter().filter(record)
    assert record.exc_text is not None and "filter-secret-777" not in record.exc_text


def test_auth_repr_hides_the_secret() -> None:
    auth = OAuth2ClientCredentials(BASE + TOKEN_PATH, CLIENT_ID, CANARY_SECRET)
    assert CANARY_SECRET not in repr(auth)
    assert CANARY_SECRET not in repr(vars(auth))


async def test_canary_and_issued_token_appear_nowhere(
    fake: FakeAbTasty, caplog: pytest.LogCaptureFixture, sleeps: SleepRecorder
) -> None:
    """A whole session at DEBUG: success, a 429, a 401 refresh, bad credentials, and a server that echoes
    the secret and the token back in its error messages."""
    caplog.set_level(logging.DEBUG)
    fake.item_count, fake.page_cap = 30, 10
    outputs: list[str] = []

    async def echo_secret(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={"message": f"bad request with {request.headers.get('authorization')} and {CANARY_SECRET}"},
        )

    retry = RetryPolicy(sleep=sleeps)
    auth = OAuth2ClientCredentials(BASE + TOKEN_PATH, CLIENT_ID, CANARY_SECRET)
    async with ApiClient(BASE, auth, transport=httpx.ASGITransport(app=fake.app()), retry=retry) as client:
        fake.faults = [(429, {"Retry-After": "1"})]
        await pager(client).hal(TESTS_PATH)
        fake.revoke_all()
        await pager(client).hal(TESTS_PATH)
        client.log_summary()
        outputs.append(repr(client))

    bad = OAuth2ClientCredentials(BASE + TOKEN_PATH, "wrong-id", CANARY_SECRET)
    async with ApiClient(BASE, bad, transport=httpx.ASGITransport(app=fake.app())) as client:
        with pytest.raises(AuthError) as caught:
            await client.get_json(TESTS_PATH)
        outputs += [str(caught.value), repr(caught.value), caught.value.detail]

    tokens = list(fake.issued)
    echo_auth = OAuth2ClientCredentials(BASE + TOKEN_PATH, CLIENT_ID, CANARY_SECRET)
    async with ApiClient(BASE, echo_auth, transport=httpx.MockTransport(_token_then(echo_secret))) as client:
        with pytest.raises(ReconcilerError) as echoed:
            await client.get_json("/echo")
        outputs += [str(echoed.value), repr(echoed.value), echoed.value.args[0]]

    assert len(tokens) == 2
    outputs += [
        caplog.text,
        *(r.getMessage() for r in caplog.records),
        *(repr(r.args) for r in caplog.records),
    ]
    everything = "\n".join(outputs)
    assert "attempt 2" in everything and "requests" in everything  # the logs did run at DEBUG
    for secret in (CANARY_SECRET, *tokens, "echo-token-0123456789"):
        assert secret not in everything


Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


def _token_then(api: Handler) -> Handler:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": "echo-token-0123456789", "expires_in": 60})
        return await api(request)

    return handler


_FRAGMENTS = st.sampled_from(
    [
        "api_token=",
        "API_TOKEN=",
        "ap\u0131_token=",  # dotless i: re's (?i) equates it with i
        "access_token",
        "acce\u017f\u017f_token",  # long s: (?i) equates it with s
        '"client_secret": "',
        "CLIENT_SECRET=",
        "Bearer ",
        "bEaReR\t",
        "x-access-token: ",
        "X-ACCESS-TOKEN=",
        "to\u212aen",  # Kelvin sign: (?i) equates it with k
        "s3cr3t-value",
        "abc.DEF_123",
        " ",
        "&",
        '"',
        "}",
        "\n",
    ]
)


@hypothesis.settings(max_examples=examples(400), deadline=None)
@hypothesis.given(
    st.lists(st.one_of(_FRAGMENTS, st.text(max_size=6)), max_size=14).map("".join),
    st.sets(st.sampled_from(["s3cr3t-value", "abc.DEF_123", "Bearer x"]), max_size=2),
)
def test_redact_masks_exactly_what_every_search_would(text: str, secrets: set[str]) -> None:
    """The substring checks that skip searches (issue 18: a 5 MB plan) never skip one that would match."""
    redactor = Redactor()
    redactor.register(*secrets)
    expected = text
    if redactor.secrets():
        ordered = sorted(redactor.secrets(), key=len, reverse=True)
        expected = re.compile("|".join(re.escape(s) for s in ordered)).sub(MASK, expected)
    for shape, replacement in _PATTERNS:
        expected = shape.sub(replacement, expected)
    assert redactor.redact(text) == expected
