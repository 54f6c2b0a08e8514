"""Values a server chooses are range-checked before arithmetic, and never turn ordinary words into masks
(issue 24, items 8, 10 and 11)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import AuthError
from reconciler.http import ApiClient, OAuth2ClientCredentials
from reconciler.redaction import redact

TOKEN_URL = "https://api.abtasty.com/oauth/v2/token"


def _client(token_answer: dict[str, Any]) -> ApiClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/oauth"):
            return httpx.Response(200, content=json.dumps(token_answer).encode())
        return httpx.Response(200, json={"ok": request.headers.get("authorization", "")[:7]})

    auth = OAuth2ClientCredentials(TOKEN_URL, "client-id-1", "client-secret-value-1")
    return ApiClient("https://api.abtasty.com", auth, transport=httpx.MockTransport(handler))


async def _get(answer: dict[str, Any]) -> Any:
    async with _client(answer) as client:
        return await client.get_json("/x")


def test_a_short_or_wordlike_access_token_is_refused_not_registered() -> None:
    with pytest.raises(AuthError, match="not a credential"):
        asyncio.run(_get({"access_token": "applied", "expires_in": 3600}))
    with pytest.raises(AuthError, match="not a credential"):
        asyncio.run(_get({"access_token": "completed", "expires_in": 3600}))
    assert redact("2 applied, 0 failed") == "2 applied, 0 failed"  # the word was never registered


@pytest.mark.parametrize("expires_in", [10**400, -5, float("nan"), float("inf"), "3600"])
def test_an_absurd_token_lifetime_is_not_believed_nor_a_crash(expires_in: Any) -> None:
    assert asyncio.run(_get({"access_token": "a-real-looking-token-123456", "expires_in": expires_in})) == {
        "ok": "Bearer "
    }


# Sentences of ordinary words around the words the shapes look for, and variable names as messages quote
# them: nothing in them is a secret.
WORDS = st.sampled_from(
    [
        "check",
        "they",
        "are",
        "set",
        "Token",
        "secret",
        "bearer",
        "ABTASTY_CLIENT_SECRET:",
        "client_secret:",
        "access_token",
        "the",
        "Missing",
    ]
)


@given(st.lists(WORDS, min_size=1, max_size=12))
def test_ordinary_words_are_never_masked(words: list[str]) -> None:
    text = " ".join(words)
    assert redact(text) == text


# Secret-shaped: digits among letters and symbols. A value shaped exactly like a variable's name (words of
# letters, each with at most a number after it: ``ABC_12``, ``API2_URL``) reads as one and is left, as
# "ABTASTY_CLIENT_SECRET" must be.
SECRET_SHAPED = st.text(alphabet="abcdefABCDEF0123456789-_.", min_size=8, max_size=40).filter(
    lambda v: (
        any(c.isdigit() for c in v) and not re.fullmatch(r"[A-Z]+[0-9]*(?:_(?:[A-Z]+[0-9]*|[0-9]+))+", v)
    )
)


@given(SECRET_SHAPED)
def test_secret_shaped_values_are_masked(value: str) -> None:
    for shaped in (
        f"api_token={value}",
        f'"client_secret": "{value}"',
        f"Bearer {value}",
        f"x-access-token: {value}",
    ):
        assert value not in redact(shaped) and "***" in redact(shaped)


@pytest.mark.parametrize("token", ["X7K9_Q2M4_ZP8R4T", "A1B_C2D3", "Q9Z_1A"])
def test_an_upper_case_token_with_underscores_is_no_variable_name(token: str) -> None:
    assert redact(f"Authorization: Bearer {token}") == "Authorization: Bearer ***"


@pytest.mark.parametrize("name", ["ABTASTY_API2_URL", "S3_BUCKET", "RECONCILER_STATE_DIR", "V2_1"])
def test_variable_names_with_numbers_stay_readable(name: str) -> None:
    assert redact(f"client_secret: {name}") == f"client_secret: {name}"


def test_the_first_error_of_a_new_user_reads_whole() -> None:
    hint = "credentials from ABTASTY_CLIENT_ID, ABTASTY_CLIENT_SECRET: check they are set"
    assert redact(hint) == hint
