"""``reconciler sandbox serve`` and ``reconciler sandbox reset``."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from reconciler.sandbox.app import build_sandbox
from reconciler.sandbox.context import Sandbox
from reconciler.sandbox.dialects import ENV_VAR, DialectError, known, parse_dialects
from reconciler.sandbox.exports import export_lines
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.persist import write_atomic
from reconciler.sandbox.seed import SeedError, check_seed, initial_state, seed_usage
from reconciler.sandbox.server import bind_socket, extra_hosts, host_urls, resolve_credentials, uvicorn_server
from reconciler.sandbox.store import Store
from reconciler.sandbox.vendor import MAIN_HOST
from reconciler.sandbox.vendors import vendors

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


def _titles() -> str:
    *rest, last = [vendor.title for vendor in vendors()]
    return f"{', '.join(rest)} and {last}" if rest else last


def _banner(urls: dict[str, str], box: Sandbox, state: Path | None) -> str:
    """What the server accepts; a secret that came from the environment is masked."""
    credentials = box.credentials
    specs = {spec.name: spec for vendor in box.vendors for spec in vendor.credentials}

    def shown(name: str) -> str:
        spec = specs[name]
        return (
            f"****** (from {spec.env})" if spec.secret and name in credentials.from_env else credentials[name]
        )

    return "\n".join(
        [
            f"Sandbox listening on {urls[MAIN_HOST]}",
            f"  state:         {state if state is not None else 'in memory (use --state FILE to keep it)'}",
            *(line for vendor in box.vendors for line in vendor.banner(urls, box.store.account_id, shown)),
            *export_lines(box.vendors, urls, credentials),
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


_ENV = ", ".join(spec.env for vendor in vendors() for spec in vendor.credentials)


@click.group(
    # The first sentence names no vendor: the CLI's command table holds it without importing the sandbox.
    help=f"Run the local emulator of every provider's API. It plays {_titles()}.",
    epilog=f"\b\nEnvironment: {_ENV} (the credentials it accepts; else the demo ones, printed)\n\n\b\n"
    "Exit codes: 0 stopped (Ctrl-C) or reset, 1 a user error\n\n\b\nExample:\n  reconciler sandbox serve --latency 200",
)
def sandbox() -> None:
    pass


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port."
)
@click.option("--state", type=_STATE_OPTION, help="State file (loaded if it exists, else seeded).")
@click.option("--seed", default="demo", show_default=True, callback=_check_seed,
              help=seed_usage())  # fmt: skip
@click.option(
    "--page-cap",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="The largest page a list answers, whatever the client asks: "
    + ", ".join(v.page_param for v in vendors() if v.page_param)
    + ".",
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
              help=f"Other readings of the documents to play (env {ENV_VAR}): {', '.join(known())}. "
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
    """Serve every vendor's API on HOST:PORT until Ctrl-C."""
    if not allow_non_loopback and not _is_loopback(host):
        raise click.UsageError(
            f"--host {host} is not a loopback address: the sandbox's control routes (reset, faults, state) "
            "have no authentication, so anyone who can reach it could use them. Pass --allow-non-loopback "
            "if that is really meant"
        )
    faults = Faults(latency_ms=latency, jitter_ms=jitter, error_rate=error_rate, rate_limit_rps=rate_limit,
                    throttle_rate=throttle_rate, drop_rate=drop_rate, token_ttl=token_ttl, fault_seed=None)  # fmt: skip
    box = build_sandbox(
        seed,
        state,
        resolve_credentials(),
        faults,
        page_cap=page_cap,
        dialects=dialects,
        page_cache=page_cache,
    )
    sockets = [bind_socket(host, port)]
    for offset, name in enumerate(extra_hosts(box), start=1):  # the next ports (any free one with --port 0)
        sockets.append(bind_socket(host, port + offset if port else 0))
        box.host_ports[name] = sockets[-1].getsockname()[1]
    server = uvicorn_server(box, [])
    urls = host_urls(host, {MAIN_HOST: sockets[0].getsockname()[1], **box.host_ports})
    click.echo(_banner(urls, box, state))
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
              help=seed_usage())  # fmt: skip
def reset(state: Path, seed: str) -> None:
    """Overwrite the state file with a fresh seed."""
    store = Store(initial_state(seed))
    write_atomic(state, store.serialize())
    click.echo(f"Reset {state} to seed {seed!r} ({store.summary()}).")
