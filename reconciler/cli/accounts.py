"""``accounts``: the account files as a shard list for a CI matrix, offline (no environment, no network).

The files are loaded as ``validate`` loads them (a malformed file is the same FILE:LINE:COL error), so a
shard list is never built from a config that plan would refuse. The credential variables of a file are the
``${VAR}`` references in its provider's credential blocks, defaults included: two files on the default
``${ABTASTY_CLIENT_ID}`` share a rate limit, so they share a shard.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from reconciler.cli.gitchanges import Changes, changes_since, old_text, same_file
from reconciler.config import env as envmod
from reconciler.config.loaded import LoadedConfig
from reconciler.config.yaml import parse_document
from reconciler.core.shards import MATRIX_LIMIT, AccountFile, Shard, matrix, shard
from reconciler.loading import load_configs
from reconciler.providers import registry
from reconciler.providers.base import AnyProvider


@click.command(
    epilog="\b\nEnvironment: none (offline; --changed-since runs git)\n\n\b\nExit codes: 0 listed, 1 problems "
    "found (each as FILE:LINE:COL) or a git error, 3 a bug (crash log)\n\n\b\nExample:\n"
    "  reconciler accounts accounts/ --changed-since origin/main --shards 8 --format json"
)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--changed-since",
    "ref",
    metavar="REF",
    help="Only the account files that differ from this commit (renames followed; deleted files listed "
    "with deleted: true).",
)
@click.option(
    "--shards",
    "count",
    type=click.IntRange(1, MATRIX_LIMIT),
    default=1,
    show_default=True,
    help=f"Cut the accounts into at most N shards (1-{MATRIX_LIMIT}, GitHub's jobs per matrix).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: a GitHub Actions matrix `include` (use it with fromJSON).",
)
def accounts(paths: tuple[str, ...], ref: str | None, count: int, fmt: str) -> None:
    """List the account files as shards for a CI matrix, offline; an account or a credential is never split."""
    shards = shard(account_files(paths, ref), count)
    if fmt == "json":
        click.echo(json.dumps(matrix(shards), separators=(",", ":")))
        return
    click.echo(render_text(shards))


def account_files(paths: Sequence[str], ref: str | None) -> list[AccountFile]:
    """The accounts of ``paths`` (only those changed since ``ref``, plus the deleted ones, when given)."""
    changes = changes_since(ref, paths) if ref else None
    present = [] if changes is not None and not changes.changed else _present(paths)
    if changes is None:
        return [_account(c) for c in present]
    kept = [c for c in present if any(same_file(c.path, name) for name in changes.changed)]
    out = [_account(c, _renamed_from(c.path, changes)) for c in kept]
    return out + [_deleted(ref or "", name) for name in sorted(changes.deleted)]


def _present(paths: Sequence[str]) -> list[LoadedConfig]:
    """The files on disk; none at all is no error here (a change may delete the last one)."""
    existing = [p for p in paths if Path(p).exists()]
    return load_configs(existing) if existing else []


def _renamed_from(path: str, changes: Changes) -> str | None:
    return next((old for new, old in changes.renamed.items() if same_file(path, new)), None)


def _account(loaded: LoadedConfig, renamed_from: str | None = None) -> AccountFile:
    provider = _provider(loaded.provider)
    data = loaded.config.model_dump(mode="json")
    return AccountFile(
        file=loaded.path,
        provider=loaded.provider,
        account=str(_at(data, provider.account_key)),
        credentials=_variables(data, provider),
        renamed_from=renamed_from,
    )


def _deleted(ref: str, path: str) -> AccountFile:
    """A deleted file, named by what it held at ``ref`` (its account and credentials keep it with the rest
    of its group); a file that was no valid config there is still listed, under provider "unknown"."""
    text = old_text(ref, path)
    doc = parse_document(text, path) if text is not None else None
    data: Any = getattr(doc, "data", None)
    name = data.get("provider") if isinstance(data, dict) else None
    provider = registry.get(name) if isinstance(name, str) else None
    if provider is None:
        return AccountFile(path, "unknown", path, deleted=True)
    with contextlib.suppress(ValueError):  # the old file was invalid: what it names is read as written
        data = provider.config_model.model_validate(data).model_dump(mode="json")
    account = _at(data, provider.account_key)
    return AccountFile(path, provider.name, str(account), _variables(data, provider), deleted=True)


def _provider(name: str) -> type[AnyProvider]:
    found = registry.get(name)
    if found is None:  # load_configs only returns files of installed providers
        raise ValueError(f"no provider {name!r}")
    return found


def _at(data: Any, loc: Sequence[str | int]) -> Any:
    for part in loc:
        data = data.get(part) if isinstance(data, dict) and isinstance(part, str) else None
    return data


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _variables(data: Any, provider: type[AnyProvider]) -> tuple[str, ...]:
    """The variables the credential blocks name (never their values: this command reads no environment)."""
    names = {
        ref.name
        for loc in provider.credential_paths
        for text in _strings(_at(data, loc))
        for ref in envmod.references(text)
    }
    return tuple(sorted(names))


def render_text(shards: Sequence[Shard]) -> str:
    """One block per shard: its files (deleted ones marked) and the credential variables they use."""
    if not shards:
        return "No account files to plan."
    lines = []
    for one in shards:
        entry = one.to_matrix()
        lines.append(
            f"shard {one.index}: {len(one.accounts)} account(s), credentials: "
            f"{', '.join(entry['credentials']) or 'none'}"
        )
        for account in one.accounts:
            mark = " (deleted)" if account.deleted else ""
            moved = f" (renamed from {account.renamed_from})" if account.renamed_from else ""
            lines.append(f"  {account.file}: {account.provider} {account.account}{mark}{moved}")
    return "\n".join(lines)
