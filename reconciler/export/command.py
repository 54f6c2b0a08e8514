"""``reconciler export``: options, credentials, files and exit codes. The work is in ``render``/``update``.

Providers: only ``abtasty`` for now. A provider plugs in as one more entry of ``--provider`` with its own
fetch-everything function and renderer; the options that follow (``--tests``, ``--members``) are AB Tasty's.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from reconciler.commands import sandbox_endpoint, setup_logging
from reconciler.config import load_configs
from reconciler.config.load import load_document_config
from reconciler.config.models import AbTastyConfig
from reconciler.config.schema import SCHEMA_ID
from reconciler.config.yaml import parse_document
from reconciler.core.state import Existing
from reconciler.engine import DEFAULT_API_URL, DEFAULT_AUTH_URL, Endpoint, Overrides, endpoint_for
from reconciler.errors import ConfigIssue, EnvironmentVariableError, ReconcilerError
from reconciler.export.render import ExportOptions, render_export
from reconciler.export.update import UpdateOptions, UpdateResult, update_text
from reconciler.files import write_atomic
from reconciler.http import ApiClient, OAuth2ClientCredentials, Secret
from reconciler.providers.abtasty import TestSelection, fetch_account

SCHEMA_FILE = Path("schema/reconciler.schema.json")
SHOWN_NEW = 20  # "not in the file" lines printed before a count: an account may hold thousands


@click.command()
@click.option("--provider", type=click.Choice(["abtasty"]), default="abtasty", show_default=True)
@click.option(
    "--account", "account_id", type=click.IntRange(min=1), help="The account id (not with --update)."
)
@click.option(
    "--tests",
    type=click.Choice(["all", "playing", "none"]),
    default="all",
    show_default=True,
    help="Which tests to write (with --update: which count as missing from the file).",
)
@click.option("--members/--no-members", default=True, show_default=True, help="Write the memberships.")
@click.option("--prune", is_flag=True, help="Write `prune: true`: apply revokes members not listed.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--force", is_flag=True, help="Let -o replace an existing file (--update keeps its comments).")
@click.option(
    "--update",
    "update_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Refresh this config in place: only drifted values change; comments and layout stay.",
)
@click.option("--add-new", is_flag=True, help="With --update: append tests and members the file lacks.")
@click.option("--check", is_flag=True, help="With --update: write nothing; exit 2 when the file is stale.")
@click.option("--sandbox", is_flag=True, help="Read the embedded sandbox (as plan --sandbox does).")
@click.option(
    "--parallelism", default=8, show_default=True, type=click.IntRange(1, 64), help="Requests in flight."
)
@click.option("-v", "--verbose", is_flag=True, help="Log every request and a closing count.")
def export(
    provider: str,
    account_id: int | None,
    tests: TestSelection,
    members: bool,
    prune: bool,
    output: str | None,
    force: bool,
    update_path: str | None,
    add_new: bool,
    check: bool,
    sandbox: bool,
    parallelism: int,
    verbose: bool,
) -> None:
    """Write a live account out as config, or refresh a config from it (--update)."""
    setup_logging(verbose)
    if update_path is None:
        if account_id is None:
            raise click.UsageError("give --account ID (or --update FILE to refresh a config)")
        if add_new or check:
            raise click.UsageError("--add-new and --check go with --update FILE")
        if output and Path(output).exists() and not force:
            raise click.UsageError(
                f"{output} exists: refresh it with --update {output} (its comments stay), or pass --force"
            )
        options = ExportOptions(tests, members, prune, schema_ref(output))
        _export(account_id, options, output, sandbox, parallelism)
        return
    if output or prune or force:
        raise click.UsageError(
            "--update rewrites FILE in place; -o, --force and --prune are for a new export"
        )
    result = _update(update_path, account_id, UpdateOptions(add_new, tests), members, sandbox, parallelism)
    _finish_update(result, check)


def schema_ref(output: str | None) -> str:
    """The modeline's schema: ``schema/reconciler.schema.json`` relative to the file, when the file goes into
    a tree that has one (``reconciler schema > schema/reconciler.schema.json``); the schema's URL otherwise."""
    base = (Path(output).parent if output else Path.cwd()).resolve()
    for folder in (base, *base.parents):
        if (folder / SCHEMA_FILE).is_file():
            return Path(os.path.relpath(folder / SCHEMA_FILE, base)).as_posix()
    return SCHEMA_ID


def env_endpoint(env: Mapping[str, str]) -> Endpoint:
    """An export has no config file yet: the credentials and URLs come from the environment."""
    missing = [name for name in ("ABTASTY_CLIENT_ID", "ABTASTY_CLIENT_SECRET") if not env.get(name)]
    if missing:
        raise EnvironmentVariableError(
            f"environment variable {' and '.join(missing)} not set: export the account's API credentials "
            "(or use --sandbox)"
        )
    return Endpoint(
        api_url=env.get("ABTASTY_API_URL") or DEFAULT_API_URL,
        auth_url=env.get("ABTASTY_AUTH_URL") or DEFAULT_AUTH_URL,
        client_id=env["ABTASTY_CLIENT_ID"],
        client_secret=Secret(env["ABTASTY_CLIENT_SECRET"]),  # registers it with the redactor
    )


async def fetch(
    endpoint: Endpoint, account_id: int, tests: TestSelection, members: bool, parallelism: int
) -> Existing:
    """The whole account through one client (one token, one request count)."""
    auth = OAuth2ClientCredentials(endpoint.auth_url, endpoint.client_id, endpoint.client_secret)
    async with ApiClient(endpoint.api_url, auth, parallelism=parallelism) as client:
        existing = await fetch_account(client, account_id, tests=tests, members=members)
        client.log_summary()
    return existing


def _abtasty(overrides: Overrides | None) -> Endpoint | None:
    found = (overrides or {}).get("abtasty")
    return found if isinstance(found, Endpoint) else None


def _export(
    account_id: int, options: ExportOptions, output: str | None, sandbox: bool, parallelism: int
) -> None:
    with sandbox_endpoint(sandbox) as overrides:
        endpoint = _abtasty(overrides) or env_endpoint(os.environ)
        existing = asyncio.run(fetch(endpoint, account_id, options.tests, options.members, parallelism))
    exported = render_export(existing, options)
    for note in exported.notes:
        click.echo(f"note: {note}", err=True)
    if output is None:
        click.echo(exported.text, nl=False)
        return
    write_atomic(Path(output), exported.text)
    members = f", {len(existing.members)} member(s)" if existing.members is not None else ""
    click.echo(f"Wrote {output}: {len(existing.tests)} test(s){members}.", err=True)


def _update(
    path: str,
    account_id: int | None,
    options: UpdateOptions,
    members: bool,
    sandbox: bool,
    parallelism: int,
) -> UpdateResult:
    [loaded] = load_configs([path], env=os.environ)
    config = loaded.config
    if not isinstance(config, AbTastyConfig):
        raise click.UsageError(
            f"{path}: export --update handles provider abtasty only, not {config.provider}"
        )
    if account_id is not None and account_id != config.account.id:
        raise click.UsageError(f"{path} describes account {config.account.id}, not {account_id}")
    with sandbox_endpoint(sandbox) as overrides:
        endpoint = endpoint_for(loaded, os.environ, overrides)
        assert isinstance(endpoint, Endpoint)  # an AB Tasty config
        wanted = members and config.memberships is not None
        existing = asyncio.run(fetch(endpoint, config.account.id, "all", wanted, parallelism))
    text = read_text(path)
    return update_text(path, text, config, existing, options)


def _finish_update(result: UpdateResult, check: bool) -> None:
    if result.changed:
        problems = invalid_issues(result.path, result.new_text)
        if problems:  # a bug of ours: never write a file that plan would refuse
            details = "\n".join(str(p) for p in problems)
            raise ReconcilerError(
                f"the refreshed {result.path} would not be valid; nothing written:\n{details}"
            )
    written = result.changed and not check
    if written:
        write_atomic(Path(result.path), result.new_text)
    _print_report(result, written)
    stale = result.changed or result.count("gone") > 0
    if check and stale:
        sys.exit(2)


def _print_report(result: UpdateResult, written: bool) -> None:
    lines = result.report(written)
    new = [line for line, f in zip(lines, result.findings, strict=True) if f.kind == "new"]
    for line, finding in zip(lines, result.findings, strict=True):
        if finding.kind != "new":
            click.echo(line)
    for line in new[:SHOWN_NEW]:
        click.echo(line)
    if len(new) > SHOWN_NEW:
        click.echo(f"... and {len(new) - SHOWN_NEW} more not in the file.")
    changed = result.count("changed")
    verb = ("Updated" if written else "Would update") if result.changed else "Up to date:"
    parts = [f"{changed} value(s) changed" if result.changed else "no value changed"]
    parts += [f"{n} {what}" for n, what in _counts(result) if n]
    hint = " (--add-new appends them)" if new else ""
    click.echo(f"{verb} {result.path}: {', '.join(parts)}{hint}.")


def _counts(result: UpdateResult) -> list[tuple[int, str]]:
    return [
        (result.count("added"), "list(s) extended"),
        (result.count("gone"), "declared but gone from the account"),
        (result.count("manual"), "to edit by hand"),
        (result.count("new"), "in the account but not in the file"),
    ]


def read_text(path: str) -> str:
    """The file as it is, line endings included (``newline=""``): every byte we do not edit stays."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def invalid_issues(path: str, text: str) -> list[ConfigIssue]:
    """What ``validate`` would say about ``text`` (as if it were ``path``)."""
    doc = parse_document(text, path)
    if isinstance(doc, ConfigIssue):
        return [doc]
    return load_document_config(doc, None)[1]
