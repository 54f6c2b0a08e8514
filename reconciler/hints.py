"""What an API's refusal means for this run: which file, which account, which variables to check.

The HTTP layer knows a token endpoint refused the credentials or was not there; only the caller knows the
file, the account and where its credentials and URLs came from. ``credentials_named`` adds that to the
error, for plan and apply (a config file) and for export (an account and the provider's variables).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel

from reconciler.config.loaded import LoadedConfig
from reconciler.errors import AuthError, ForbiddenError, TokenUrlError
from reconciler.loading.checks import credential_references
from reconciler.providers.base import AnyProvider
from reconciler.providers.trust import url_paths


def config_credential_variables(loaded: LoadedConfig, provider: type[AnyProvider]) -> list[str]:
    """The ``${VAR}`` names in the config's credential blocks, in order, its defaults included (the model's
    dump has them; the raw document leaves out a block the file does not write)."""
    names = [name for _, name in credential_references(loaded.config.model_dump(), provider)]
    return list(dict.fromkeys(names))


def default_credential_variables(provider: type[AnyProvider]) -> list[str]:
    """The ``${VAR}`` names a config without a credentials block would read (what export reads)."""
    defaults: dict[str, Any] = {}
    for path in provider.credential_paths:
        model: Any = provider.config_model
        node = defaults
        for key in path:
            fields = model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else {}
            if str(key) not in fields:
                break
            info = fields[str(key)]
            if key != path[-1]:
                model, node = info.annotation, node.setdefault(str(key), {})
                continue
            value = info.get_default(call_default_factory=True)
            node[str(key)] = value.model_dump() if isinstance(value, BaseModel) else value
    return list(dict.fromkeys(name for _, name in credential_references(defaults, provider)))


def _auth_url_sources(provider: type[AnyProvider], in_config: bool) -> str:
    variables = sorted({pair.auth for pair in provider.url_pairs})
    fields = [".".join(map(str, loc)) for loc in url_paths(provider.config_model) if "auth" in str(loc[-1])]
    where = " or ".join(variables) or "the provider's auth URL variable"
    if in_config and fields:
        where += f" (when set, it wins over the config's {', '.join(fields)})"
    return where


@contextmanager
def credentials_named(
    provider: type[AnyProvider],
    account: str,
    variables: Sequence[str],
    *,
    path: str | None = None,
    sandbox: bool = False,
) -> Iterator[None]:
    """A 401 / 403 names the file (``path``), the account and the credentials' variables: with several
    accounts, "refused" alone does not say which file to fix. A missing token endpoint names the auth URL's
    variable, and not the credentials, which were never judged."""
    where = f"{path}: " if path else ""
    label = f"{provider.name} {provider.account_noun} {account}"
    try:
        yield
    except TokenUrlError as err:
        hint = f"; {where}{label}: check {_auth_url_sources(provider, path is not None)}"
        raise TokenUrlError(err.method, err.path, err.status, err.detail + hint) from None
    except (AuthError, ForbiddenError) as err:
        source = (
            "the sandbox's credentials"
            if sandbox
            else f"credentials from {', '.join(variables) or 'the config'}"
        )
        hint = f"; {where}{label}, {source}: check they are set, and are the ones of this {provider.account_noun}"
        raise type(err)(err.method, err.path, err.status, err.detail + hint) from None
