"""``reconciler sandbox serve`` and ``reconciler sandbox reset``."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from reconciler.sandbox.app import build_sandbox
from reconciler.sandbox.context import Credentials
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


def _banner(url: str, account_id: int, credentials: Credentials, state: Path | None) -> str:
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
            f"  token URL:     {url}/oauth/v2/token",
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


@click.group()
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
@click.option("--allow-non-loopback", is_flag=True,
              help="Listen on a HOST other than loopback: anyone who reaches it can reset or fault it.")  # fmt: skip
def serve(
    host: str, port: int, state: Path | None, seed: str, page_cap: int, latency: float, jitter: float,
    error_rate: float, rate_limit: float, throttle_rate: float, drop_rate: float, token_ttl: int,
    allow_non_loopback: bool,
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
    box = build_sandbox(seed, state, credentials, faults, page_cap=page_cap)
    sock = bind_socket(host, port)
    server = uvicorn_server(box, [])
    url_host = f"[{host}]" if ":" in host else host
    click.echo(
        _banner(f"http://{url_host}:{sock.getsockname()[1]}", box.store.account_id, credentials, state)
    )
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn already shut down gracefully and re-raised the signal
    finally:
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
