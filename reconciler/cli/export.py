"""``reconciler export``: options, credentials, files and exit codes. The work is the provider's exporter
(``Provider.exporter``): what a file holds, how a file is refreshed.

``--tests`` and ``--members`` select what is written; a provider reads the selections it has (AB Tasty: its
tests and its members) and ignores the others (Taplytics has none). ``--provider`` is needed for a new export
when more than one installed provider can export; ``--update`` reads the provider from the file.
"""

from __future__ import annotations

import asyncio
import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

import click

from reconciler.cli.errors import EXIT_CHANGES, Exit
from reconciler.cli.options import (
    COMMON_ENV,
    PROVIDER_ENV,
    Documented,
    RunOptions,
    epilog,
    run_options,
    sandbox_env,
    shared_options,
)
from reconciler.config.loaded import LoadedConfig
from reconciler.config.yaml import parse_document
from reconciler.core.suggest import did_you_mean
from reconciler.encode import terminal
from reconciler.engine import provider_for
from reconciler.errors import ConfigIssue, ReconcilerError
from reconciler.files import SHARED, write_atomic
from reconciler.hints import config_credential_variables, credentials_named, default_credential_variables
from reconciler.loading import load_configs, load_document_config
from reconciler.providers import registry
from reconciler.providers.base import AnyProvider
from reconciler.providers.exporter import ExportRequest
from reconciler.providers.trust import allowed_hosts, environment_endpoint, trusted_endpoint
from reconciler.yamledit.result import UpdateResult

SCHEMA_FILE = Path("schema/reconciler.schema.json")
SHOWN_NEW = 20  # "not in the file" lines printed before a count: an account may hold thousands


def _exporting(_ctx: click.Context, _param: click.Parameter, value: str | None) -> type[AnyProvider] | None:
    """``--provider``: an installed provider that has an exporter; by default the only one there is."""
    able = [p for p in registry.providers() if p.exporter() is not None]
    if value is None:
        return able[0] if len(able) == 1 else None
    found = registry.get(value)
    if found is None or found.exporter() is None:
        names = [p.name for p in able]
        hint = did_you_mean(value, names) or f"; one of: {', '.join(names)}"
        raise click.BadParameter(f"{value!r} has no exporter{hint}")
    return found


@click.command(
    cls=Documented,
    epilog=epilog(
        env=f"{PROVIDER_ENV}, {COMMON_ENV}",
        codes="0 written (--check: up to date), 1 a user error, 2 the file is stale (--update --check only)",
        example="reconciler export --provider abtasty --account 41902 -o accounts/shop.yaml --sandbox",
    ),
)
@shared_options
@click.option(
    "--provider",
    callback=_exporting,
    help="The provider of the account (a new export; --update reads it from the file); optional when only "
    "one installed provider can export.",
)
@click.option("--account", "account", help="The account to export (not with --update).")
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
@click.option("--add-new", is_flag=True, help="With --update: append the entries the file lacks.")
@click.option("--check", is_flag=True, help="With --update: write nothing; exit 2 when the file is stale.")
def export(
    provider: type[AnyProvider] | None,
    account: str | None,
    tests: str,
    members: bool,
    prune: bool,
    output: str | None,
    force: bool,
    update_path: str | None,
    add_new: bool,
    check: bool,
) -> None:
    """Write a live account out as config, or refresh a config from it (--update)."""
    options = run_options()
    if update_path is None:
        if account is None:
            raise click.UsageError("give --account ID (or --update FILE to refresh a config)")
        if add_new or check:
            raise click.UsageError("--add-new and --check go with --update FILE")
        if output and Path(output).exists() and not force:
            raise click.UsageError(
                f"{output} exists: refresh it with --update {output} (its comments stay), or pass --force"
            )
        if provider is None:
            raise click.UsageError("give --provider NAME: several providers can export")
        request = ExportRequest(tests, members, prune, schema_ref(output))
        _export(provider, account, request, output, options.sandbox, options.parallelism)
        return
    if output or prune or force:
        raise click.UsageError(
            "--update rewrites FILE in place; -o, --force and --prune are for a new export"
        )
    request = ExportRequest(tests, members, add_new=add_new)
    result = _update(update_path, account, request, options)
    _finish_update(result, check)


def schema_ref(output: str | None) -> str:
    """The modeline's schema, a path that resolves: ``schema/reconciler.schema.json`` relative to the file
    when the file goes into a tree that has one; else ``reconciler.schema.json`` next to the file, written
    there when missing (with -o; on stdout, ``_schema_note`` says how to create it). The schema's ``$id`` is
    not a URL anything serves, so it is never written in a modeline."""
    base = (Path(output).parent if output else Path.cwd()).resolve()
    for folder in (base, *base.parents):
        if (folder / SCHEMA_FILE).is_file():
            return Path(os.path.relpath(folder / SCHEMA_FILE, base)).as_posix()
    return f"./{SCHEMA_FILE.name}"


def _schema_note(ref: str) -> None:
    """On stdout, the export names a schema only the reader can put beside it: said once the export is out
    (a note before a refusal would speak of a file that is never coming)."""
    if ref == f"./{SCHEMA_FILE.name}" and not (Path.cwd() / SCHEMA_FILE.name).is_file():
        click.echo(
            f"note: the modeline points at ./{SCHEMA_FILE.name}: create it with "
            f"`reconciler schema > {SCHEMA_FILE.name}` next to the file",
            err=True,
        )


def _schema_beside(output: str, ref: str) -> Path | None:
    """Write the schema the modeline names next to ``output`` when it is not there (after the export
    itself was written, so an unwritable place is reported for the file asked for): the path written."""
    beside = Path(output).parent / SCHEMA_FILE.name
    if ref != f"./{SCHEMA_FILE.name}" or beside.is_file():
        return None
    from reconciler.loading.schema import render_schema

    write_atomic(beside, render_schema(), mode=SHARED)
    return beside


def _say_written(output: str, summary: str, schema: Path | None) -> None:
    """Every file written, and the commit that shares them: a modeline naming an uncommitted schema would
    point teammates' editors at nothing."""
    click.echo(f"Wrote {terminal.text(output)}: {summary}.", err=True)
    files = [output]
    if schema is not None:
        click.echo(f"Wrote {terminal.text(str(schema))}: the schema the file's modeline points at.", err=True)
        files.append(str(schema))
    quoted = " ".join(shlex.quote(f) for f in files)
    click.echo(f"Next: review it, then `git add {terminal.text(quoted)}` and commit.", err=True)


def _export(
    provider: type[AnyProvider],
    raw_account: str,
    request: ExportRequest,
    output: str | None,
    sandbox: bool,
    parallelism: int,
) -> None:
    exporter = provider.exporter()
    assert exporter is not None  # checked by --provider
    account = exporter.parse_account(raw_account)
    with sandbox_env(sandbox) as overlay:
        # An export has no config file yet: the credentials and URLs come from the environment.
        endpoint = environment_endpoint(provider, overlay if overlay is not None else os.environ)
        variables = default_credential_variables(provider)
        with credentials_named(provider, raw_account, variables, sandbox=overlay is not None):
            exported = asyncio.run(exporter.export(endpoint, account, request, parallelism))
    for note in exported.notes:
        click.echo(f"note: {note}", err=True)
    if output is None:
        click.echo(exported.text, nl=False)
        _schema_note(request.schema_ref)
        return
    write_atomic(Path(output), exported.text, mode=SHARED)
    _say_written(output, exported.summary, _schema_beside(output, request.schema_ref))


def _update(
    path: str,
    account: str | None,
    request: ExportRequest,
    options: RunOptions,
) -> UpdateResult:
    [loaded] = load_configs([path], env=os.environ)
    provider = provider_for(loaded)
    if account is not None:
        exporter = provider.exporter()
        if exporter is not None and exporter.parse_account(account) != provider.account_of(loaded.config):
            raise click.UsageError(
                f"{path} describes account {provider.account_of(loaded.config)}, not {account}"
            )
    with sandbox_env(options.sandbox) as overlay:
        return asyncio.run(refresh(loaded, request, overlay, options.allow_hosts, options.parallelism))


async def refresh(
    loaded: LoadedConfig,
    request: ExportRequest,
    overlay: Mapping[str, str] | None,
    allow_hosts: Sequence[str],
    parallelism: int,
) -> UpdateResult:
    """``export --update`` of one loaded config: its file's text with the drifted values refreshed (nothing
    written). Shared by the command and the drift job's pull requests (``drift: accept``)."""
    provider = provider_for(loaded)
    exporter = provider.exporter()
    if exporter is None:
        raise click.UsageError(f"{loaded.path}: export --update has no exporter for provider {provider.name}")
    current = provider.account_of(loaded.config)
    endpoint = (
        provider.default_endpoint(overlay)
        if overlay is not None
        else trusted_endpoint(loaded, provider, os.environ, allowed_hosts(os.environ, tuple(allow_hosts)))
    )
    variables = config_credential_variables(loaded, provider)
    with credentials_named(provider, current, variables, path=loaded.path, sandbox=overlay is not None):
        return await exporter.update(loaded, read_text(loaded.path), endpoint, request, parallelism)


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
        raise Exit(EXIT_CHANGES)  # the file is stale: the code plan --detailed-exitcode gives drift


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
