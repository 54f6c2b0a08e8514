"""Taplytics as a sandbox vendor: what the shared sandbox files ask of it (``reconciler.sandbox.vendor``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.routing import BaseRoute

from reconciler.sandbox import taplytics
from reconciler.sandbox.taplytics import readings, state
from reconciler.sandbox.taplytics.tokens import TOKEN_PARAM, token_via
from reconciler.sandbox.vendor import MAIN_HOST, Credentials, CredentialSpec, SandboxVendor, Section, Seed


class TaplyticsSandbox(SandboxVendor):
    name = "taplytics"
    title = "Taplytics"
    prefixes = ("/v2/",)
    credentials = (CredentialSpec("taplytics_token", "TAPLYTICS_API_TOKEN", "sandbox-taplytics-token"),)
    redacted_keys = frozenset({TOKEN_PARAM})
    dialects = {
        "post-201": "Taplytics user POST with the user",
        "cursor": "Taplytics /v2/users pages by cursor: nextPaginationToken in the body, paginationToken query, no Link",
        "no-user-route": "Taplytics has no GET /v2/users/{user_id}: it answers 404 like any unknown route",
        **readings.DIALECTS,
    }
    seed_counts = {"users": "U"}
    page_param = "per_page (Taplytics)"

    def routes(self) -> list[BaseRoute]:
        return taplytics.routes()

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"message": message, "status": status}

    def log_fields(self, method: str, headers: Mapping[str, str], query: str, raw: bytes) -> dict[str, Any]:
        return {"token_via": token_via(method, headers, query, raw)}

    def new_state(self, seed: Seed) -> dict[str, Any]:
        return state.new_state(seed)

    def load_state(self, data: Mapping[str, Any], changed: Callable[[], None]) -> Section:
        return state.TaplyticsState(data, changed)

    def environment(self, urls: Mapping[str, str], credentials: Credentials) -> dict[str, str]:
        return {"TAPLYTICS_API_URL": urls[MAIN_HOST], "TAPLYTICS_API_TOKEN": credentials["taplytics_token"]}

    def banner(self, urls: Mapping[str, str], account_id: int, shown: Callable[[str], str]) -> list[str]:
        return [
            f"Taplytics API on the same server: {urls[MAIN_HOST]}/v2/users",
            f"  api_token:     {shown('taplytics_token')}",
        ]


VENDOR = TaplyticsSandbox()
