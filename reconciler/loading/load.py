"""Load and validate config files: every problem of every file at once, each as FILE:LINE:COL.

``load_configs(paths)`` is what ``validate`` runs: no environment, no network. ``load_configs(paths,
env=os.environ)`` is what plan and apply run: the same checks, and the values of the secret variables are
registered with the redactor before anything is printed. ``${VAR}`` is allowed only in the provider's
credential blocks (``credential_paths``), anywhere else it is an error at its FILE:LINE:COL; credentials stay
as ``${VAR}`` references in the model and are resolved into ``Secret`` s only by the code that sends them.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconciler import gcpolicy
from reconciler.config import env as envmod
from reconciler.config.loaded import LoadedConfig
from reconciler.config.yaml import Document, Loc, load_document
from reconciler.core.suggest import did_you_mean
from reconciler.encode import terminal
from reconciler.errors import ConfigError, ConfigIssue
from reconciler.loading.checks import check_across, check_document, credential_references
from reconciler.providers import registry
from reconciler.providers.base import AnyProvider as Provider
from reconciler.redaction import register_secret

SUPPORTED_VERSIONS = (1,)

# Hidden directories that belong to a known tool (version control, CI, editors, caches): their YAML is never a
# config of ours, so skipping them is not worth a line on every run. Any other hidden directory is noted.
TOOL_DIRECTORIES = frozenset(
    {".git", ".github", ".gitlab", ".circleci", ".venv", ".vscode", ".idea", ".terraform", ".tox"}
    | {".mypy_cache", ".pytest_cache", ".ruff_cache", ".reconciler"}
)


def _walk(root: Path, issues: list[ConfigIssue], skipped: list[str]) -> list[Path]:
    """Every *.yaml / *.yml below ``root``, sorted; an unreadable directory is an issue (a config could be
    in it), a hidden or symlinked one is noted in ``skipped`` (never searched, never silently), but for a
    known tool's directory (``TOOL_DIRECTORIES``)."""
    found: list[Path] = []

    def unreadable(err: OSError) -> None:
        issues.append(ConfigIssue(str(err.filename), 1, 1, f"cannot read directory: {err.strerror}"))

    for top, dirs, names in os.walk(root, onerror=unreadable):
        for name in sorted(dirs):
            here = Path(top) / name
            if name in TOOL_DIRECTORIES:
                continue
            if name.startswith("."):
                skipped.append(f"{here}: hidden directory, not searched")
            elif here.is_symlink():
                skipped.append(f"{here}: symbolic link to a directory, not followed")
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(top) / n for n in names if Path(n).suffix in (".yaml", ".yml")]
    return sorted(p for p in found if p.is_file())


def expand_paths(
    paths: Sequence[str | Path], skipped: list[str] | None = None
) -> tuple[list[Path], list[ConfigIssue]]:
    """Files as given, directories as every *.yaml / *.yml below them, sorted.

    Hidden directories (``.git``, ``.github``, ``.venv``) are not searched: they hold other tools' YAML.
    Each directory not searched is noted in ``skipped`` (a known tool's silently); an unreadable one is an issue.
    """
    files: list[Path] = []
    issues: list[ConfigIssue] = []
    notes = skipped if skipped is not None else []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(_walk(path, issues, notes))
        elif path.is_file():
            files.append(path)
        else:
            issues.append(ConfigIssue(str(raw), 1, 1, "no such file or directory"))
    # A name with a newline or an escape would forge lines wherever the path is printed (PR comments, logs):
    # refused, shown escaped, before the file is read.
    odd = [f for f in files if not str(f).isprintable()]
    issues += [
        ConfigIssue(
            terminal.text(str(f)), 1, 1, "the file name holds control or invisible characters: rename it"
        )
        for f in odd
    ]
    return [f for f in files if f not in odd], issues


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (to suggest its keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if (
            not (isinstance(current, type) and issubclass(current, BaseModel))
            or part not in current.model_fields
        ):
            return None
        current = _find_model(current.model_fields[part].annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _find_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _find_model(arg)
            if found is not None:
                return found
    return None


def _is_credential(loc: Loc, provider: type[Provider]) -> bool:
    return any(loc[: len(path)] == path for path in provider.credential_paths)


def _message(err: ErrorDetails, loc: Loc, provider: type[Provider]) -> tuple[Loc, str, bool]:
    """(where, message, point at the key) for one pydantic error."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if "key" in ctx:  # a model-level check pinned to one key
        return (*loc, ctx["key"]), err["msg"], True
    name = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        model = _model_at(provider.config_model, loc[:-1])
        known = sorted(model.model_fields) if model else []
        hint = did_you_mean(str(name), known, cutoff=0.5) or (
            f"; expected one of: {', '.join(known)}" if known else ""
        )
        return loc, f"unknown key '{name}'{hint}", True
    if kind == "missing":
        return loc, f"missing required key '{name}' in {_dotted(loc[:-1])}", False
    msg = err["msg"]
    msg = msg[0].lower() + msg[1:] if msg else msg
    got = err.get("input")
    shown = (
        not _is_credential(loc, provider)  # a secret pasted by mistake is never echoed
        and isinstance(got, str | int | float | bool)
        and kind not in ("bad_reference",)
    )
    suffix = f", got {got!r}" if shown and repr(got) not in msg and str(got) not in msg else ""
    if kind == "literal_error" and isinstance(got, str):  # a role in the wrong case, a state misspelt
        suffix += did_you_mean(got, _QUOTED.findall(str(ctx.get("expected", ""))))
    return loc, f"{_dotted(loc)}: {msg}{suffix}", False


def register_secrets(data: Any, provider: type[Provider], env: Mapping[str, str]) -> None:
    """Register with the redactor the value of every variable a credential block names (a ``client_id``
    too: it may name a variable that holds a secret) and each secret field's standard one, before anything of
    this run is printed: a server echoing it, or a value pasted into a test name, is masked from the first
    line on."""
    named = sorted({name for _, name in credential_references(data, provider)})
    register_secret(*(env[name] for name in named if env.get(name)))
    for field in provider.secret_fields:
        names = {field.variable}
        value = _raw_at(data, field.loc)
        if isinstance(value, str):
            names.update(ref.name for ref in envmod.references(value))
        register_secret(*(env[name] for name in sorted(names) if env.get(name)))


def _raw_at(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data.get(part) if isinstance(data, dict) and isinstance(part, str) else None
    return data


def _header(doc: Document) -> tuple[type[Provider] | None, list[ConfigIssue]]:
    """Check version and provider first: without them the rest cannot be read."""
    data, pos = doc.data, doc.positions
    if "format_version" in data and "accounts" in data and "provider" not in data:
        # A saved plan is JSON, so YAML reads it: `apply plan.json` (Terraform's way) would list missing keys.
        path = shlex.quote(doc.path)
        hint = f"apply it with `reconciler apply --plan {path}`, or print it with `reconciler show {path}`"
        return None, [pos.issue((), f"a saved plan (plan -o), not a config: {hint}")]
    issues = []
    version = data.get("version")
    if "version" not in data:
        issues.append(pos.issue((), "missing required key 'version': add 'version: 1' at the top"))
    elif version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        issues.append(pos.issue(("version",), _version_problem(version)))
    provider = data.get("provider")
    known = registry.names()
    found = registry.get(provider) if isinstance(provider, str) else None
    if "provider" not in data:
        issues.append(pos.issue((), f"missing required key 'provider': one of {', '.join(known)}"))
    elif found is None:
        hint = did_you_mean(str(provider), known)
        issues.append(
            pos.issue(
                ("provider",), f"unknown provider {provider!r}: expected one of {', '.join(known)}{hint}"
            )
        )
    return found, issues


_QUOTED = re.compile(r"'([^']*)'")  # the choices in pydantic's "input should be 'a', 'b' or 'c'"
_SCALAR = re.compile(r"[-+0-9A-Za-z_.:]+")


def _as_written(doc: Document, loc: Loc, detail: ErrorDetails, message: str) -> str:
    """``message`` with a number it quotes back as the file wrote it: YAML reads ``007`` as 7, and a fix
    that says ``"7"`` would lose the zeros the value needs."""
    got = detail.get("input")
    if not isinstance(got, int | float) or isinstance(got, bool) or f'"{got}"' not in message:
        return message
    line, column = doc.positions.at(loc)
    lines = doc.text.splitlines()
    match = _SCALAR.match(lines[line - 1], column - 1) if 0 < line <= len(lines) else None
    return message.replace(f'"{got}"', f'"{match.group()}"') if match else message


def load_document_config(
    doc: Document, env: Mapping[str, str] | None
) -> tuple[BaseModel | None, list[ConfigIssue]]:
    """Validate one parsed file against its provider's model."""
    provider, issues = _header(doc)
    if provider is None:
        return None, issues
    if env is not None:
        register_secrets(doc.data, provider, env)
    issues += check_document(doc, provider)
    try:
        config = provider.config_model.model_validate(doc.data)
    except ValidationError as err:
        for detail in err.errors():
            loc, message, key = _message(detail, tuple(detail["loc"]), provider)
            if loc[:1] in (("version",), ("provider",)):
                continue  # reported by _header already
            issues.append(doc.positions.issue(loc, _as_written(doc, loc, detail, message), key=key))
        return None, issues
    return (None if issues else config), issues


def load_configs(
    paths: Sequence[str | Path],
    env: Mapping[str, str] | None = None,
    skipped: list[str] | None = None,
) -> list[LoadedConfig]:
    """Load every file under ``paths``; raise ``ConfigError`` with all problems of all files. Directories
    that were not searched are appended to ``skipped``."""
    files, issues = expand_paths(paths, skipped)
    if not files and not issues:
        issues.append(ConfigIssue(", ".join(str(p) for p in paths), 1, 1, "no *.yaml or *.yml file found"))
    docs: list[Document] = []
    loaded: list[LoadedConfig] = []
    for file in files:
        doc = load_document(file)
        if isinstance(doc, ConfigIssue):
            issues.append(doc)
            continue
        docs.append(doc)
        config, problems = load_document_config(doc, env)
        issues += problems
        if config is not None:
            digest = hashlib.sha256(doc.text.encode()).hexdigest()
            loaded.append(LoadedConfig(doc.path, config, doc.positions, digest))
    issues += check_across(docs)
    if issues:
        raise ConfigError(issues)
    gcpolicy.loaded()  # the collector comes back on, rarely, once the config is in memory
    return loaded


def summary(configs: Iterable[LoadedConfig]) -> str:
    """One line: how many files and accounts were read, and what they declare, in the nouns of the providers
    they use ("3 test(s), 0 member(s)"; only those: importing every provider would slow `validate` down)."""
    items = list(configs)
    used = [registry.get(name) for name in sorted({loaded.provider for loaded in items})]
    counts: dict[str, int] = {noun: 0 for p in used if p is not None for noun in p.inventory_nouns}
    for loaded in items:
        provider = registry.get(loaded.provider)
        for noun, count in (provider.inventory(loaded.config) if provider else {}).items():
            counts[noun] = counts.get(noun, 0) + count
    files = "file" if len(items) == 1 else "files"
    declared = "".join(f", {count} {noun}(s)" for noun, count in counts.items())
    return f"{len(items)} {files} valid: {len(items)} account(s){declared}"


def _version_problem(version: object) -> str:
    """``version: "1"`` is a string: say it must be the number, not that 1 is unsupported."""
    if isinstance(version, str) and version.strip() == "1":
        return f"version must be the number 1, not the string {version!r}: write `version: 1` without quotes"
    return f"unsupported version {version!r}: this reconciler reads version 1"
