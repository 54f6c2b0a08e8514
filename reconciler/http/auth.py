"""httpx auth flows: OAuth2 client credentials (AB Tasty) and a token header (Taplytics).

Both are ``httpx.Auth`` generator flows: the token request is *yielded* to the client, so it travels
through the same transport stack as every other request (retries, fault injection, counting, logging),
and refresh-on-401 is testable with a mock transport and no network.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import httpx

from reconciler.errors import ApiError, AuthError, ServerError, TokenUrlError
from reconciler.http.errormap import json_object, redirect_error, server_message
from reconciler.http.transport import IDEMPOTENT
from reconciler.redaction import REDACTOR, Secret, redact, reveal

logger = logging.getLogger("reconciler.http")

_MIN_TOKEN_LENGTH = 8  # an issued bearer token shorter than this, or a plain word, is no credential
_MAX_EXPIRES_IN = 366 * 86_400  # a lifetime past a year (or absurd, or negative) is not believed

# Refresh this long before the token expires: at most 60 s, at most 10% of its lifetime (a token that lives
# 30 s is refreshed after 27 s rather than on every request).
_MAX_MARGIN = 60.0
_MARGIN_FRACTION = 0.1
# When the token endpoint does not say how long the token lives.
_DEFAULT_EXPIRES_IN = 3600.0


def _token_failure(response: httpx.Response, detail: str) -> str:
    """Why the token request failed, in the words that point at the fix."""
    status = response.status_code
    if status in (404, 405):  # no token endpoint there: the URL is wrong, not the credentials
        url = response.request.url.copy_with(query=None, fragment=None)  # the port kept: it is often the typo
        return f"no token endpoint at {url} ({detail}): the auth URL is wrong"
    if status >= 500 or status == 429:
        return f"the token endpoint failed: {detail}"
    return f"the token endpoint refused the credentials: {detail}"


def _token_error_class(status: int) -> type[ApiError]:
    if status >= 500 or status == 429:
        return ServerError
    # The caller names the auth URL's variable for this one, and the credentials only for AuthError.
    return TokenUrlError if status in (404, 405) else AuthError


class OAuth2ClientCredentials(httpx.Auth):
    """OAuth2 client-credentials grant as AB Tasty documents it.

    ``POST token_url`` with the JSON body ``{"client_id", "client_secret", "grant_type":
    "client_credentials"}``; the answer's ``access_token`` is sent as ``Authorization: Bearer`` and cached
    until shortly before ``expires_in`` runs out. A 401 on an API request triggers one refresh and one
    retry; a second 401 is returned to the caller (which raises ``AuthError``). Concurrent requests share a
    single token fetch (an ``asyncio.Lock``). ``clock`` is a monotonic clock, injectable for tests.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str | Secret,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = Secret(reveal(client_secret))
        self._clock = clock
        self._token: Secret | None = None
        self._expires_at = 0.0
        self._form = False  # True once the endpoint refused the JSON body (see _refused_json)
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        #: How many tokens were issued to this auth (for tests and the -v summary).
        self.fetch_count = 0

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials(token_url={self.token_url!r}, client_id={self._client_id!r})"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Not supported: the project has one async client, no sync twin."""
        raise RuntimeError("OAuth2ClientCredentials is async-only; use httpx.AsyncClient")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Authenticate ``request``, fetching or refreshing the token through the client as needed."""
        async with self._lock():
            if self._needs_refresh():
                token_response = yield self._token_request()
                if self._refused_json(token_response):
                    token_response = yield self._token_request()
                await self._store(token_response)
            token = self._current()
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        response = yield request
        if response.status_code != 401:
            return
        # The server no longer accepts the token (revoked, clock skew): refresh once and retry once,
        # unless another request already did while this one was in flight.
        async with self._lock():
            if self._token is None or self._token == token:
                logger.debug("token refused with 401: fetching a new one")
                token_response = yield self._token_request()
                if self._refused_json(token_response):
                    token_response = yield self._token_request()
                await self._store(token_response)
            token = self._current()
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        yield request

    def forget_token(self) -> None:
        """Drop the token and unregister it from the redactor (its client is closed: nothing sends it
        again). ``ApiClient.aclose`` calls it."""
        if self._token is not None:
            REDACTOR.forget(self._token.reveal())
        self._token = None

    def invalidate(self) -> None:
        """Forget the cached token (the next request fetches a new one)."""
        self._token = None

    def _lock(self) -> asyncio.Lock:
        # asyncio.Lock binds to the loop it first waits on; one per loop keeps a shared auth object usable
        # from several loops (tests, several CLI runs in one process) without "bound to a different loop".
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            self._locks = {k: v for k, v in self._locks.items() if not k.is_closed()}
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def _needs_refresh(self) -> bool:
        return self._token is None or self._clock() >= self._expires_at

    def _current(self) -> Secret:
        assert self._token is not None  # _store either set it or raised
        return self._token

    def _refused_json(self, response: httpx.Response) -> bool:
        """Whether to ask again with a form body: the JSON body was refused as a request (400, 415), not
        for its credentials (401). The route is a stock OAuth server's, and RFC 6749 section 4.4.2 says
        form; the document's examples send JSON. Once switched, this auth sends form from then on."""
        if self._form or response.status_code not in (400, 415):
            return False
        logger.debug(
            "the token endpoint refused a JSON body (%s): asking with a form body", response.status_code
        )
        self._form = True
        return True

    def _token_request(self) -> httpx.Request:
        body = {
            "client_id": self._client_id,
            "client_secret": self._client_secret.reveal(),
            "grant_type": "client_credentials",
        }
        payload: dict[str, Any] = {"data": body} if self._form else {"json": body}
        # Asking for a token twice is harmless, so it may be retried after a dropped connection.
        return httpx.Request(
            "POST",
            self.token_url,
            headers={"Accept": "application/json"},
            extensions={IDEMPOTENT: True},
            **payload,
        )

    async def _store(self, response: httpx.Response) -> None:
        await response.aread()
        path = response.request.url.path
        if response.status_code >= 400:
            detail = server_message(response)
            error = _token_error_class(response.status_code)
            raise error("POST", redact(path), response.status_code, redact(_token_failure(response, detail)))
        if response.status_code >= 300:  # never followed: the credentials would go along
            raise redirect_error("POST", response)
        payload = json_object(response)
        access_token = payload.get("access_token") if payload else None
        if not isinstance(access_token, str) or not access_token:
            raise AuthError(
                "POST",
                redact(path),
                response.status_code,
                "the token endpoint answered without an access_token",
            )
        wordlike = access_token.isalpha() and len(access_token) <= 12
        if (
            len(access_token) < _MIN_TOKEN_LENGTH
            or wordlike
            or not (access_token.isascii() and access_token.isprintable())
        ):
            # A server-chosen "applied" would be registered and then mask that word in every output.
            raise AuthError(
                "POST",
                redact(path),
                response.status_code,
                f"the token endpoint answered an access_token of {len(access_token)} character(s), or with "
                f"characters a token does not have, or a plain word: not a credential (at least "
                f"{_MIN_TOKEN_LENGTH} printable ASCII characters, not a word, expected)",
            )
        previous, self._token = self._token, Secret(access_token)  # registers it with the redactor
        if previous is not None and previous != self._token:
            REDACTOR.forget(previous.reveal())  # replaced: never sent again
        expires_in = payload.get("expires_in") if payload else None
        # Range-checked before any arithmetic: an int past 10**308 would overflow float(), NaN would poison it.
        in_range = isinstance(expires_in, int | float) and 0 < expires_in <= _MAX_EXPIRES_IN
        lifetime = float(expires_in) if in_range else _DEFAULT_EXPIRES_IN  # type: ignore[arg-type]
        margin = min(_MAX_MARGIN, lifetime * _MARGIN_FRACTION)
        self._expires_at = self._clock() + lifetime - margin
        self.fetch_count += 1
        logger.debug("access token issued, valid %.0fs (refresh %.0fs before expiry)", lifetime, margin)


class TokenHeaderAuth(httpx.Auth):
    """Send a static API token in a header (Taplytics: ``x-access-token``), never in the query string."""

    def __init__(self, token: str | Secret, header: str = "x-access-token", prefix: str = "") -> None:
        self.header = header
        self.prefix = prefix  # "Bearer " for GitHub's Authorization header
        self._token = Secret(reveal(token))

    def __repr__(self) -> str:
        return f"TokenHeaderAuth(header={self.header!r}, token=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header and send."""
        request.headers[self.header] = self.prefix + self._token.reveal()
        yield request
