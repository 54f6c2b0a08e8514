"""``reconciler sandbox serve`` and ``reconciler sandbox reset``."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from reconciler.sandbox.app import build_sandbox
from reconciler.sandbox.context import Credentials
from reconciler.sandbox.dialects import DIALECTS, ENV_VAR, DialectError, parse_dialects
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.persist import write_atomic
from reconciler.sandbox.seed import SEED_USAGE, SeedError, check_seed, initial_state
from reconciler.sandbox.server import bind_socket, resolve_credentials, uvicorn_server
from reconciler.sandbox.store import Store

DEFAULT_STATE = Path(".reconciler/sandbox.json")
_STATE_OPTION = click.Path(dir_okay=False, path_type=Path)


def _check_seed(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        check_seed(value)
    except SeedError as err:
        raise click.BadParameter(str(err)) from None
    return value


def _dialects(ctx: click.Context, param: click.Parameter, value: str | None) -> frozenset[str]:
    try:
        return parse_dialects(value)
    except DialectError as err:
        raise click.BadParameter(str(err)) from None


def _banner(url: str, account_id: int, credentials: Credentials, state: Path | None, api2: str) -> str:
    """What the server accepts; a secret or key that came from the environment is masked."""
    secret = (
        "****** (from ABTASTY_CLIENT_SECRET)" if credentials.secret_from_env else credentials.client_secret
    )
    api_token = (
        "****** (from TAPLYTICS_API_TOKEN)"
        if credentials.taplytics_token_from_env
        else credentials.taplytics_token
    )
    return "\n".join(
        [
            f"AB Tasty sandbox listening on {url}",
            *([f"  api2 URL:      {api2} (token, membership, script)"] if api2 != url else []),
            f"  token URL:     {api2}/oauth/v2/token",
            f"  account id:    {account_id}",
            f"  client_id:     {credentials.client_id}",
            f"  client_secret: {secret}",
            f"  state:         {state if state is not None else 'in memory (use --state FILE to keep it)'}",
            f"Taplytics API on the same server: {url}/v2/users",
            f"  api_token:     {api_token}",
            "Press Ctrl-C to stop.",
        ]
    )


def _is_loopback(host: str) -> bool:
    # The sandbox stands on its own (it imports nothing from http/): its own reading of "this machine".
    host = host.strip("[]").lower().rstrip(".")
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.group(
    epilog="\b\nEnvironment: ABTASTY_CLIENT_ID, ABTASTY_CLIENT_SECRET, TAPLYTICS_API_TOKEN (the credentials it accepts; else the demo ones, printed)\n\n\b\n"
    "Exit codes: 0 stopped (Ctrl-C) or reset, 1 a user error\n\n\b\nExample:\n  reconciler sandbox serve --latency 200"
)
def sandbox() -> None:
    """Run the local AB Tasty and Taplytics API emulator."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port."
)
@click.option("--state", type=_STATE_OPTION, help="State file (loaded if it exists, else seeded).")
@click.option("--seed", default="demo", show_default=True, callback=_check_seed,
              help=SEED_USAGE)  # fmt: skip
@click.option(
    "--page-cap",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="Max _max_per_page (AB Tasty) and per_page (Taplytics).",
)
@click.option("--latency", default=0.0, type=click.FloatRange(min=0), help="Added latency per request (ms).")
@click.option("--jitter", default=0.0, type=click.FloatRange(min=0), help="Latency jitter, +/- (ms).")
@click.option("--error-rate", default=0.0, type=click.FloatRange(0, 1), help="Share of random 5xx answers.")
@click.option("--rate-limit", default=0.0, type=click.FloatRange(min=0), help="Requests per second (0: off).")
@click.option(
    "--throttle-rate", default=0.0, type=click.FloatRange(0, 1), help="Share of random 429 answers."
)
@click.option("--drop-rate", default=0.0, type=click.FloatRange(0, 1), help="Share of dropped connections.")
@click.option("--token-ttl", default=43200, show_default=True, type=click.IntRange(min=1), help="Seconds.")
@click.option("--dialect", "dialects", envvar=ENV_VAR, callback=_dialects, metavar="A,B,...",
              help=f"Other readings of the documents to play (env {ENV_VAR}): {', '.join(DIALECTS)}. "
              "See docs/sandbox.md.")  # fmt: skip
@click.option("--page-cache", is_flag=True,
              help="Keep each list page's JSON until the next mutation (benchmarks: the sandbox does not re-render "
              "unchanged pages). Only for a sandbox changed through its API.")  # fmt: skip
@click.option("--allow-non-loopback", is_flag=True,
              help="Listen on a HOST other than loopback: anyone who reaches it can reset or fault it.")  # fmt: skip
def serve(
    host: str, port: int, state: Path | None, seed: str, page_cap: int, latency: float, jitter: float,
    error_rate: float, rate_limit: float, throttle_rate: float, drop_rate: float, token_ttl: int,
    dialects: frozenset[str], page_cache: bool, allow_non_loopback: bool,
) -> None:  # fmt: skip
    """Serve the AB Tasty Public API and the Taplytics API on HOST:PORT until Ctrl-C."""
    if not allow_non_loopback and not _is_loopback(host):
        raise click.UsageError(
            f"--host {host} is not a loopback address: the sandbox's control routes (reset, faults, state) "
            "have no authentication, so anyone who can reach it could use them. Pass --allow-non-loopback "
            "if that is really meant"
        )
    faults = Faults(latency_ms=latency, jitter_ms=jitter, error_rate=error_rate, rate_limit_rps=rate_limit,
                    throttle_rate=throttle_rate, drop_rate=drop_rate, token_ttl=token_ttl, fault_seed=None)  # fmt: skip
    credentials = resolve_credentials(None, None)
    box = build_sandbox(
        seed, state, credentials, faults, page_cap=page_cap, dialects=dialects, page_cache=page_cache
    )
    sockets = [bind_socket(host, port)]
    if box.plays("two-hosts"):  # api2 on the next port (any free one when --port is 0)
        sockets.append(bind_socket(host, port + 1 if port else 0))
        box.api2_port = sockets[1].getsockname()[1]
    server = uvicorn_server(box, [])
    url_host = f"[{host}]" if ":" in host else host
    url = f"http://{url_host}:{sockets[0].getsockname()[1]}"
    api2 = f"http://{url_host}:{box.api2_port}" if box.api2_port else url
    click.echo(_banner(url, box.store.account_id, credentials, state, api2))
    if dialects:
        click.echo(f"Dialects: {', '.join(sorted(dialects))}")
    try:
        server.run(sockets=sockets)
    except KeyboardInterrupt:
        pass  # uvicorn already shut down gracefully and re-raised the signal
    finally:
        for sock in sockets:
            sock.close()
    click.echo("Sandbox stopped.")


@sandbox.command()
@click.option("--state", type=_STATE_OPTION, default=DEFAULT_STATE, show_default=True, help="State file.")
@click.option("--seed", default="demo", show_default=True, callback=_check_seed,
              help=SEED_USAGE)  # fmt: skip
def reset(state: Path, seed: str) -> None:
    """Overwrite the state file with a fresh seed."""
    store = Store(initial_state(seed))
    write_atomic(state, store.serialize())
    counts = f"{len(store.tests)} tests, {len(store.members)} members, {len(store.users)} Taplytics users"
    click.echo(f"Reset {state} to seed {seed!r} ({counts}).")
