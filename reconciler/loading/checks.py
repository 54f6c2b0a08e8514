"""Checks that span several entries of a file, or several files. They read the raw data (so they run even
when a model check failed elsewhere) and skip whatever is not of the expected shape: the model checks
report that."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from reconciler.config import env
from reconciler.config.yaml import Document, Loc
from reconciler.errors import ConfigIssue
from reconciler.providers import registry
from reconciler.providers.base import AnyProvider as Provider


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        if isinstance(part, str) and isinstance(data, dict):
            data = data.get(part)
        elif isinstance(part, int) and isinstance(data, list) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _duplicates(doc: Document, loc: Loc, key: str, label: str, fold: bool = False) -> Iterator[ConfigIssue]:
    items = _get(doc.data, loc)
    if not isinstance(items, list):
        return
    seen: dict[Any, int] = {}  # by index, the path built only for a duplicate (12,000 entries: 0.05 s)
    for index, item in enumerate(items):
        value = item.get(key) if isinstance(item, dict) else None
        if not isinstance(value, str | int) or isinstance(value, bool):
            continue
        ident = value.lower() if fold and isinstance(value, str) else value
        first = seen.setdefault(ident, index)
        if first != index:
            where = (*loc, index, key)
            first_line = doc.positions.at((*loc, first, key))[0]
            this_line = doc.positions.at(where)[0]
            yield doc.positions.issue(
                where,
                f"duplicate {label} {value!r}: declared at lines {first_line} and {this_line}; keep one",
            )


def _literal_secrets(doc: Document, provider: type[Provider]) -> Iterator[ConfigIssue]:
    for field in provider.secret_fields:
        loc, variable = field.loc, field.variable
        value = _get(doc.data, loc)
        if isinstance(value, str) and not env.is_pure_reference(value) and not env.syntax_error(value):
            dotted = ".".join(str(p) for p in loc)
            # Never echo the value: it may be a real secret pasted by mistake.
            yield doc.positions.issue(
                loc,
                f"{dotted} holds a literal value: configs live in git, so secrets must come from the "
                f"environment; write ${{{variable}}} and set {variable}",
            )


def _holds_reference(data: Any) -> bool:
    """Whether a ``${`` is in any string under ``data``: the quick pass over the whole file (no paths built),
    so only a part that holds one is walked again for where."""
    if isinstance(data, str):
        return "${" in data
    values = data.values() if isinstance(data, dict) else data if isinstance(data, list) else ()
    for value in values:
        if isinstance(value, str):  # most values: tested here, without a call
            if "${" in value:
                return True
        elif isinstance(value, dict | list) and _holds_reference(value):
            return True
    return False


def _misplaced_references(
    data: Any, loc: Loc, allowed: tuple[Loc, ...], doc: Document
) -> Iterator[ConfigIssue]:
    # ${VAR} is expanded nowhere but in the credential blocks: anywhere else a pull request could write
    # `email: x.${ABTASTY_CLIENT_SECRET}@example.com` and have the secret printed in the plan it comments.
    if any(loc[: len(path)] == path for path in allowed):
        return
    if not any(path[: len(loc)] == loc for path in allowed) and not _holds_reference(data):
        return  # nothing allowed below, and no ${ to report
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _misplaced_references(value, (*loc, key), allowed, doc)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _misplaced_references(value, (*loc, index), allowed, doc)
    elif isinstance(data, str) and "${" in data:
        dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        places = ", ".join(".".join(map(str, p)) for p in allowed) or "no field of this provider"
        yield doc.positions.issue(
            loc,
            f"{dotted}: ${{...}} is only allowed in the credentials ({places}); write the value itself "
            "(URLs: set the provider's URL environment variable instead)",
        )


# Variables a credential field may never name: the CI systems' own (GITHUB_TOKEN can write the repository,
# GitLab's CI_JOB_TOKEN reads its API and registry) and this tool's; another provider's standard variables are
# added per file (its secret sent elsewhere). Compared upper-cased: Windows reads ${github_token} as GITHUB_TOKEN.
_FOREIGN_PREFIXES = ("GITHUB_", "ACTIONS_", "RUNNER_", "CI_", "GITLAB_", "RECONCILER_")


def _strings(data: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*loc, index))
    elif isinstance(data, str):
        yield loc, data


def credential_references(data: Any, provider: type[Provider]) -> Iterator[tuple[Loc, str]]:
    """(where, variable) of every ``${VAR}`` in the provider's credential blocks."""
    for path in provider.credential_paths:
        for loc, text in _strings(_get(data, path), path):
            for ref in env.references(text):
                yield loc, ref.name


def _owner(variable: str, providers: list[str]) -> str | None:
    """The provider whose variables ``variable`` is named like (``TAPLYTICS_API_TOKEN``: taplytics), by the
    longest matching ``NAME_`` prefix, so ``ABTASTY_FE_...`` is not AB Tasty's. Read from the registry's
    names alone: no provider module is imported for it."""
    prefixes = sorted(((n.upper().replace("-", "_") + "_", n) for n in providers), key=lambda p: -len(p[0]))
    return next((name for prefix, name in prefixes if variable.startswith(prefix)), None)


def _foreign_references(doc: Document, provider: type[Provider]) -> Iterator[ConfigIssue]:
    providers = registry.names()
    for loc, name in credential_references(doc.data, provider):
        owner = _owner(name.upper(), providers)
        if owner in (None, provider.name) and not name.upper().startswith(_FOREIGN_PREFIXES):
            continue
        whose = (
            "a variable of the CI system or of reconciler"
            if owner in (None, provider.name)
            else (f"named as {owner}'s variables are")
        )
        dotted = ".".join(map(str, loc))
        yield doc.positions.issue(
            loc,
            f"{dotted} names ${{{name}}}, {whose}: a config may not send it to {provider.name}; name a "
            f"variable of this account's own (e.g. {provider.environment[0] if provider.environment else 'MY_VAR'})",
        )


def check_document(doc: Document, provider: type[Provider]) -> list[ConfigIssue]:
    """Cross-entry problems of one file: the provider's unique keys repeated, a literal secret, a ``${VAR}``
    outside the credentials."""
    issues = [
        issue
        for unique in provider.unique_keys
        for issue in _duplicates(doc, unique.loc, unique.key, unique.label, unique.fold)
    ]
    misplaced = _misplaced_references(doc.data, (), provider.credential_paths, doc)
    found = [*issues, *_literal_secrets(doc, provider), *misplaced, *_foreign_references(doc, provider)]
    return [*found, *_unacceptable_drift(doc, provider)]


def _unacceptable_drift(doc: Document, provider: type[Provider]) -> Iterator[ConfigIssue]:
    """``drift: accept`` needs ``export --update`` (the drift pull request is one): refused, not ignored,
    for a provider without an exporter."""
    if doc.data.get("drift") == "accept" and provider.exporter_at is None:
        yield doc.positions.issue(
            ("drift",),
            f"drift: accept needs export --update, which {provider.name} does not have yet: "
            "use drift: report (the drift issue only) or drift: revert",
        )


def account_key(doc: Document) -> tuple[type[Provider], str] | None:
    """(provider, account identity) of a file, when both are readable."""
    name = _get(doc.data, ("provider",))
    provider = registry.get(name) if isinstance(name, str) else None
    if provider is None:
        return None
    ident = _get(doc.data, provider.account_key)
    if isinstance(ident, str | int) and not isinstance(ident, bool):
        return provider, str(ident)
    return None


def check_across(docs: Iterable[Document]) -> list[ConfigIssue]:
    """The same provider + account declared in more than one file."""
    first: dict[tuple[type[Provider], str], Document] = {}
    issues = []
    for doc in docs:
        key = account_key(doc)
        if key is None:
            continue
        if key in first:
            other = first[key]
            provider = key[0]
            where, noun = provider.account_key, provider.account_noun
            line = other.positions.at(where)[0]
            issues.append(
                doc.positions.issue(
                    where,
                    f"{provider.name} {noun} {key[1]} is also declared in {other.path}:{line}; "
                    f"one {noun} belongs in exactly one file",
                )
            )
        else:
            first[key] = doc
    return issues
