"""Load and validate config files: every problem of every file at once, each as FILE:LINE:COL.

``load_configs(paths)`` is what ``validate`` runs: no environment, no network. ``load_configs(paths,
env=os.environ)`` is what plan and apply run: ``${VARS}`` outside ``credentials`` are substituted before
validation, so an interpolated value is checked like a literal one and an unset variable is reported at
its line. Credentials stay as ``${VAR}`` references in the model; they are resolved into ``Secret`` s only
by the code that sends them.
"""

from __future__ import annotations

import difflib
import hashlib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconciler.config import env as envmod
from reconciler.config.checks import check_across, check_document
from reconciler.config.models import PROVIDERS, AbTastyConfig, Config, TaplyticsConfig
from reconciler.config.yaml import Document, Loc, Positions, load_document
from reconciler.errors import ConfigError, ConfigIssue

SUPPORTED_VERSIONS = (1,)
# Resolved later, into Secrets, by the code that sends them: never interpolated into the model.
_NOT_INTERPOLATED = (("account", "credentials"), ("project", "api_token"))


@dataclass(frozen=True)
class LoadedConfig:
    """A valid config file: the model, where each node is, and a digest of the file's bytes."""

    path: str
    config: Config
    positions: Positions
    digest: str

    def where(self, loc: Loc) -> str:
        """FILE:LINE for messages about a node of this file."""
        line, _ = self.positions.at(loc)
        return f"{self.path}:{line}"


def expand_paths(paths: Sequence[str | Path]) -> tuple[list[Path], list[ConfigIssue]]:
    """Files as given, directories as every *.yaml / *.yml below them, sorted.

    Hidden directories (``.git``, ``.github``, ``.venv``) are not searched: they hold other tools' YAML.
    """
    files: list[Path] = []
    issues = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in (".yaml", ".yml")
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts[:-1])
            )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            issues.append(ConfigIssue(str(raw), 1, 1, "no such file or directory"))
    return files, issues


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


def _message(err: ErrorDetails, loc: Loc, root: type[BaseModel]) -> tuple[Loc, str, bool]:
    """(where, message, point at the key) for one pydantic error."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if "key" in ctx:  # a model-level check pinned to one key
        return (*loc, ctx["key"]), err["msg"], True
    name = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        model = _model_at(root, loc[:-1])
        known = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.5)
        hint = (
            f"; did you mean '{close[0]}'?"
            if close
            else (f"; expected one of: {', '.join(known)}" if known else "")
        )
        return loc, f"unknown key '{name}'{hint}", True
    if kind == "missing":
        return loc, f"missing required key '{name}' in {_dotted(loc[:-1])}", False
    msg = err["msg"]
    msg = msg[0].lower() + msg[1:] if msg else msg
    got = err.get("input")
    shown = (
        "credentials" not in loc
        and "api_token" not in loc  # a secret pasted by mistake is never echoed
        and isinstance(got, str | int | float | bool)
        and kind not in ("bad_reference",)
    )
    suffix = f", got {got!r}" if shown and repr(got) not in msg and str(got) not in msg else ""
    return loc, f"{_dotted(loc)}: {msg}{suffix}", False


def _interpolate(
    data: Any, loc: Loc, env: Mapping[str, str], pos: Positions, issues: list[ConfigIssue]
) -> Any:
    if loc in _NOT_INTERPOLATED:
        return data
    if isinstance(data, dict):
        return {k: _interpolate(v, (*loc, k), env, pos, issues) for k, v in data.items()}
    if isinstance(data, list):
        return [_interpolate(v, (*loc, i), env, pos, issues) for i, v in enumerate(data)]
    if isinstance(data, str) and "${" in data and not envmod.syntax_error(data):
        try:
            return envmod.interpolate(data, env)
        except envmod.UnsetVariable as unset:
            issues.append(
                pos.issue(loc, f"environment variable {unset.name} is not set (used by {_dotted(loc)})")
            )
    return data


def _header(doc: Document) -> tuple[type[BaseModel] | None, list[ConfigIssue]]:
    """Check version and provider first: without them the rest cannot be read."""
    data, pos = doc.data, doc.positions
    issues = []
    version = data.get("version")
    if "version" not in data:
        issues.append(pos.issue((), "missing required key 'version': add 'version: 1' at the top"))
    elif version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        issues.append(
            pos.issue(("version",), f"unsupported version {version!r}: this reconciler reads version 1")
        )
    provider = data.get("provider")
    model = PROVIDERS.get(provider) if isinstance(provider, str) else None
    if "provider" not in data:
        issues.append(
            pos.issue((), f"missing required key 'provider': one of {', '.join(sorted(PROVIDERS))}")
        )
    elif model is None:
        close = difflib.get_close_matches(str(provider), sorted(PROVIDERS), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        issues.append(
            pos.issue(
                ("provider",), f"unknown provider {provider!r}: expected one of {', '.join(PROVIDERS)}{hint}"
            )
        )
    return model, issues


def load_document_config(
    doc: Document, env: Mapping[str, str] | None
) -> tuple[Config | None, list[ConfigIssue]]:
    """Validate one parsed file against its provider's model."""
    model, issues = _header(doc)
    if model is None:
        return None, issues
    provider = doc.data["provider"]
    issues += check_document(doc, provider)
    data = doc.data if env is None else _interpolate(doc.data, (), env, doc.positions, issues)
    try:
        config = model.model_validate(data)
    except ValidationError as err:
        for detail in err.errors():
            loc, message, key = _message(detail, tuple(detail["loc"]), model)
            if loc[:1] in (("version",), ("provider",)):
                continue  # reported by _header already
            issues.append(doc.positions.issue(loc, message, key=key))
        return None, issues
    assert isinstance(config, AbTastyConfig | TaplyticsConfig)
    return (None if issues else config), issues


def load_configs(paths: Sequence[str | Path], env: Mapping[str, str] | None = None) -> list[LoadedConfig]:
    """Load every file under ``paths``; raise ``ConfigError`` with all problems of all files."""
    files, issues = expand_paths(paths)
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
    return loaded


def summary(configs: Iterable[LoadedConfig]) -> str:
    """One line: how many files, accounts, tests, members and users were read."""
    items = list(configs)
    abtasty = [c.config for c in items if isinstance(c.config, AbTastyConfig)]
    tests = sum(len(c.tests) for c in abtasty)
    members = sum(len(c.memberships.members) for c in abtasty if c.memberships)
    users = sum(len(c.config.users) for c in items if isinstance(c.config, TaplyticsConfig))
    files = "file" if len(items) == 1 else "files"
    return (
        f"{len(items)} {files} valid: {len(items)} account(s), {tests} test(s), {members} member(s), "
        f"{users} user(s)"
    )
