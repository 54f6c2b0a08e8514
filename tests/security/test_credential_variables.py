"""Credential fields name only the account's own variables, and every variable they name is masked
(issue 24, item 6): ``client_id: ${TAPLYTICS_API_TOKEN}`` would send one vendor's secret to another and print
it wherever a token endpoint echoes the request."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.loading import load_configs
from reconciler.redaction import redact

ACCOUNT = "version: 1\nprovider: abtasty\naccount:\n  id: 1\n  credentials:\n    client_id: {id}\n    client_secret: {secret}\n"


@pytest.mark.parametrize(
    ("client_id", "secret", "named"),
    [
        ("${TAPLYTICS_API_TOKEN}", "${SHOP_SECRET}", "TAPLYTICS_API_TOKEN"),
        ("${SHOP_ID}", "${GITHUB_TOKEN}", "GITHUB_TOKEN"),
        ("${ACTIONS_RUNTIME_TOKEN}", "${SHOP_SECRET}", "ACTIONS_RUNTIME_TOKEN"),
        ("${SHOP_ID}", "${RECONCILER_ALLOW_HOSTS}", "RECONCILER_ALLOW_HOSTS"),
        ("${SHOP_ID}", "${CI_JOB_TOKEN}", "CI_JOB_TOKEN"),  # GitLab's
        ("${github_token}", "${SHOP_SECRET}", "github_token"),  # Windows' variables ignore case
        ("${Taplytics_Api_Token}", "${SHOP_SECRET}", "Taplytics_Api_Token"),
    ],
)
def test_a_foreign_variable_is_refused_by_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], client_id: str, secret: str, named: str
) -> None:
    config = tmp_path / "a.yaml"
    config.write_text(ACCOUNT.format(id=client_id, secret=secret))
    assert run(["validate", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"names ${{{named}}}" in err and "may not send it to abtasty" in err and f"{config}:" in err


def test_the_accounts_own_variables_are_fine_and_all_masked(tmp_path: Path) -> None:
    config = tmp_path / "a.yaml"
    config.write_text(ACCOUNT.format(id="${SHOP_ID}", secret="${SHOP_SECRET}"))
    env = {"SHOP_ID": "shop-client-id-4711", "SHOP_SECRET": "shop-secret-0815-xyz"}
    load_configs([str(config)], env=env)
    # the client id too: a config may point it at any variable, so its value is treated as a secret
    assert redact("id shop-client-id-4711, secret shop-secret-0815-xyz") == "id ***, secret ***"
