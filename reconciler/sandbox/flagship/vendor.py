"""Flagship as a sandbox vendor: what the shared sandbox files ask of it (``reconciler.sandbox.vendor``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.routing import BaseRoute

from reconciler.sandbox import flagship
from reconciler.sandbox.flagship import readings, state
from reconciler.sandbox.flagship.auth import TOKEN_PREFIX
from reconciler.sandbox.vendor import MAIN_HOST, Credentials, CredentialSpec, SandboxVendor, Section, Seed


class FlagshipSandbox(SandboxVendor):
    name = "flagship"
    title = "Flagship (AB Tasty Feature Experimentation)"
    prefixes = ("/v1/", TOKEN_PREFIX + "/")
    credentials = (
        CredentialSpec("flagship_client_id", "FLAGSHIP_CLIENT_ID", "sandbox-flagship-id", secret=False),
        CredentialSpec("flagship_client_secret", "FLAGSHIP_CLIENT_SECRET", "sandbox-flagship-secret"),
    )
    redacted_keys = frozenset({"client_secret", "access_token"})
    dialects = readings.DIALECTS
    page_param = "_max_per_page (Flagship)"

    def routes(self) -> list[BaseRoute]:
        return flagship.routes()

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"message": message}

    def new_state(self, seed: Seed) -> dict[str, Any]:
        return state.new_state(seed)

    def load_state(self, data: Mapping[str, Any], changed: Callable[[], None]) -> Section:
        return state.FlagshipState(data, changed)

    def urls(self, urls: Mapping[str, str]) -> dict[str, str]:
        return {
            "flagship_api_url": urls[MAIN_HOST] + "/v1",
            "flagship_auth_url": urls[MAIN_HOST] + TOKEN_PREFIX,
        }

    def environment(self, urls: Mapping[str, str], credentials: Credentials) -> dict[str, str]:
        named = self.urls(urls)
        return {
            "FLAGSHIP_API_URL": named["flagship_api_url"],
            "FLAGSHIP_AUTH_URL": named["flagship_auth_url"],
            "FLAGSHIP_ACCOUNT_ID": state.ACCOUNT_ID,
            "FLAGSHIP_CLIENT_ID": credentials["flagship_client_id"],
            "FLAGSHIP_CLIENT_SECRET": credentials["flagship_client_secret"],
        }

    def banner(self, urls: Mapping[str, str], account_id: int, shown: Callable[[str], str]) -> list[str]:
        named = self.urls(urls)
        return [
            f"Flagship API on the same server: {named['flagship_api_url']}",
            f"  auth URL:      {named['flagship_auth_url']}/{state.ACCOUNT_ID}/token",
            f"  account id:    {state.ACCOUNT_ID}",
            f"  environment:   {state.ENVIRONMENT_ID}",
            f"  client_id:     {shown('flagship_client_id')}",
            f"  client_secret: {shown('flagship_client_secret')}",
        ]


VENDOR = FlagshipSandbox()
