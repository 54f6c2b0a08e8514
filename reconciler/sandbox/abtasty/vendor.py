"""AB Tasty as a sandbox vendor: what the shared sandbox files ask of it (``reconciler.sandbox.vendor``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.routing import BaseRoute

from reconciler.sandbox import abtasty
from reconciler.sandbox.abtasty import auth, gates, readings, state
from reconciler.sandbox.vendor import MAIN_HOST, Credentials, CredentialSpec, SandboxVendor, Section, Seed

API2 = "api2"  # the second host of the two-hosts dialect (api2.abtasty.com)
_DATES = "AB Tasty start_datetime / stop_datetime"


class AbTastySandbox(SandboxVendor):
    name = "abtasty"
    title = "AB Tasty"
    prefixes = ("/api/", "/oauth/")
    credentials = (
        CredentialSpec("client_id", "ABTASTY_CLIENT_ID", "sandbox-client-id", secret=False),
        CredentialSpec("client_secret", "ABTASTY_CLIENT_SECRET", "sandbox-client-secret"),
    )
    redacted_keys = frozenset({"client_secret", "access_token"})
    dialects = {
        "dates-iso": f"{_DATES} as ISO 8601 with an offset, like creation_date",
        "dates-ms": f"{_DATES} as epoch milliseconds",
        "dates-local": f"{_DATES} as local wall time (no offset) in the timezone",
        "dates-null": f"{_DATES} null (not 0) when unscheduled",
        "tz-canonical": "AB Tasty stores a timezone alias as its canonical name (US/Eastern -> America/New_York)",
        "two-hosts": "AB Tasty token, membership and script routes only on a second port (api2), the rest on the first",
        "strict-page-size": "AB Tasty _max_per_page above 50 is a 400 naming the limit, not capped",
        "page-size-unnamed": "AB Tasty _max_per_page above 100 is a 400 that names no limit, not capped",
        "hal-no-count": "AB Tasty HAL collections without pages / total: only _links.next tells there is more",
        "content-type-required": "AB Tasty: every request without Content-Type: application/json is a 400",
        "post-201": "creations answer 201: AB Tasty membership POST with an empty body",
        "writes-200": "AB Tasty play / pause / schedule / script / membership PATCH and DELETE answer 200 with a JSON body",
        "member-patch-strict": "AB Tasty membership PATCH requires both email and role, as its parameter table says",
        "filters-ignored": "AB Tasty test list ignores filter[folder][], tag[], exclude_tag[], is_preprod and is_schedule",
        "is-preprod-any": "AB Tasty filter[is_preprod] with any value, 0 and false included, selects the preprod tests",
        "tags-any-case": "AB Tasty filter[tag][] / filter[exclude_tag][] compare tags ignoring case",
        **readings.DIALECTS,
    }
    # A server prints its dates one way.
    exclusive = ((frozenset({"dates-iso", "dates-ms", "dates-local"}), "one date shape at a time"),)
    seed_counts = {"tests": "N", "members": "M"}
    page_param = "_max_per_page (AB Tasty)"

    def routes(self) -> list[BaseRoute]:
        return [*auth.routes(), *abtasty.routes()]

    def extra_hosts(self, dialects: frozenset[str]) -> tuple[str, ...]:
        return (API2,) if "two-hosts" in dialects else ()

    def host_of(self, path: str) -> str:
        return gates.host_of(path)

    def check_request(self, dialects: frozenset[str], scope: Mapping[str, Any]) -> tuple[int, str] | None:
        return gates.content_type_problem(dialects, scope)

    def new_state(self, seed: Seed) -> dict[str, Any]:
        return state.new_state(seed)

    def load_state(self, data: Mapping[str, Any], changed: Callable[[], None]) -> Section:
        return state.AbTastyState(data, changed)

    def urls(self, urls: Mapping[str, str]) -> dict[str, str]:
        api2 = urls.get(API2, urls[MAIN_HOST])
        return {"api2_url": api2, "token_url": api2 + auth.TOKEN_PATH}

    def environment(self, urls: Mapping[str, str], credentials: Credentials) -> dict[str, str]:
        named = self.urls(urls)
        return {
            "ABTASTY_API_URL": urls[MAIN_HOST],
            "ABTASTY_API2_URL": named["api2_url"],
            "ABTASTY_AUTH_URL": named["token_url"],
            "ABTASTY_CLIENT_ID": credentials["client_id"],
            "ABTASTY_CLIENT_SECRET": credentials["client_secret"],
        }

    def banner(self, urls: Mapping[str, str], account_id: int, shown: Callable[[str], str]) -> list[str]:
        named = self.urls(urls)
        api2 = named["api2_url"]
        return [
            f"AB Tasty API: {urls[MAIN_HOST]}",  # like the other vendors' heads, then its token URL
            f"  token URL:     {named['token_url']}",
            *([f"  api2 URL:      {api2} (token, membership, script)"] if api2 != urls[MAIN_HOST] else []),
            f"  account id:    {account_id}",
            f"  client_id:     {shown('client_id')}",
            f"  client_secret: {shown('client_secret')}",
        ]


VENDOR = AbTastySandbox()
