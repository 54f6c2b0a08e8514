"""Loading valid configs: defaults, interpolation at run time, the schema, the examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st
from ruamel.yaml import YAML

from reconciler.config.loaded import LoadedConfig
from reconciler.errors import ConfigError
from reconciler.loading import load_configs
from reconciler.loading.schema import render_schema
from reconciler.providers.abtasty.config import AbTastyConfig
from tests.support import schemas
from tests.support.properties import examples

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").rglob("*.yaml"))
CONFIG_EXAMPLES = [p for p in EXAMPLES if ".github" not in p.parts]


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


MINIMAL = "version: 1\nprovider: abtasty\naccount:\n  id: 41902\n"


def abtasty(loaded: LoadedConfig) -> AbTastyConfig:
    """The AB Tasty model ``loaded`` holds (the loader types it as the models' base)."""
    assert isinstance(loaded.config, AbTastyConfig)
    return loaded.config


def test_defaults(tmp_path: Path) -> None:
    [loaded] = load_configs([write(tmp_path, MINIMAL)])
    config = abtasty(loaded)
    assert config.account.credentials.client_secret == "${ABTASTY_CLIENT_SECRET}"
    assert config.account.safety.access_loss_fraction == 0.25
    assert config.memberships is None and config.tests == [] and config.script.update_after_apply


def test_effective_mode_defaults_to_prod(tmp_path: Path) -> None:
    text = MINIMAL + "tests:\n  - id: 1\n    state: play\n  - id: 2\n    state: pause\n"
    [loaded] = load_configs([write(tmp_path, text)])
    assert [t.effective_mode for t in abtasty(loaded).tests] == ["prod", None]


def test_a_reference_outside_the_credentials_is_refused_with_or_without_env(tmp_path: Path) -> None:
    text = MINIMAL + "tests:\n  - name: ${TEST_NAME:-Gil Test}\n  - name: ${OTHER}\n"
    path = write(tmp_path, text)
    for env in (None, {"OTHER": "Public API Test"}):
        with pytest.raises(ConfigError) as err:
            load_configs([path], env=env)
        message = str(err.value)
        assert f"{path}:6:11: tests[0].name: ${{...}} is only allowed in the credentials" in message
        assert f"{path}:7:11: tests[1].name:" in message and "Public API Test" not in message


def test_credentials_are_never_interpolated_into_the_model(tmp_path: Path) -> None:
    [run] = load_configs([write(tmp_path, MINIMAL)], env={"ABTASTY_CLIENT_ID": "client-x"})
    assert abtasty(run).account.credentials.client_id == "${ABTASTY_CLIENT_ID}"


def test_an_email_cannot_carry_a_variable(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + "memberships:\n  members:\n    - email: x.${ABTASTY_CLIENT_SECRET}@example.com\n      role: admin\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_configs([path], env={"ABTASTY_CLIENT_SECRET": "the-secret-value"})
    assert f"{path}:7:14: memberships.members[0].email: ${{...}} is only allowed" in str(err.value)
    assert "the-secret-value" not in str(err.value)


def test_unquoted_timestamp_is_accepted(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + "tests:\n  - id: 1\n    schedule:\n      start_at: 2026-12-01T09:00:00\n      timezone: UTC\n"
    )
    [loaded] = load_configs([write(tmp_path, text)])
    schedule = abtasty(loaded).tests[0].schedule
    assert schedule is not None and schedule.start_at == "2026-12-01T09:00:00"


def test_committed_schema_is_fresh() -> None:
    committed = (ROOT / "schema" / "reconciler.schema.json").read_text()
    assert committed == render_schema(), "schema/ is stale: run `make schema`"


def test_committed_plan_schema_is_what_schema_plan_prints(capsys) -> None:
    from reconciler.cli import run

    assert run(["schema", "--plan"]) == 0
    printed = capsys.readouterr().out
    assert (ROOT / "schema" / "plan.schema.json").read_text() == printed, (
        "schema/ is stale: run `make schema`"
    )
    assert json.loads(printed)["title"].startswith("reconciler plan")


@pytest.mark.parametrize("path", CONFIG_EXAMPLES, ids=[p.name for p in CONFIG_EXAMPLES])
def test_examples_start_with_modeline_and_match_schema(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schema/reconciler.schema.json"
    schemas.validate(YAML(typ="safe").load(path.read_text()), render_schema())


def test_examples_validate() -> None:
    assert load_configs([ROOT / "examples"])


@hypothesis.settings(max_examples=examples(300), deadline=None)
@hypothesis.given(
    st.one_of(
        st.from_regex(r"[-+]?[0-9_]{1,25}", fullmatch=True),
        st.from_regex(r"0[xob]?[0-9a-f_:.]{0,8}", fullmatch=True),
        st.text(alphabet="0123456789٣²_.:-+eE", min_size=1, max_size=12),
    ),
    st.sampled_from([None, (1, 1), (1, 2)]),
)
def test_the_resolvers_shortcuts_give_the_stock_resolvers_tags(value: str, version: Any) -> None:
    """The memo and the plain-decimal shortcut (issue 18: 10,000 unique ids) change no tag, under either
    YAML version."""
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    from reconciler.config.yaml import _MemoResolver

    ours, stock = _MemoResolver(version=version), VersionedResolver(version=version)
    expected = str(stock.resolve(ScalarNode, value, (True, False)))
    assert ours.resolve(ScalarNode, value, (True, False)) == expected
    assert ours.resolve(ScalarNode, value, (True, False)) == expected  # from the memo this time


def test_timezone_suggestions_are_remembered_and_bounded() -> None:
    """20,000 bad timezones cost one suggestion search per distinct value, and at most a bounded number
    (issue 24, item 12): validate spent 60 s of CPU on such a file."""
    from reconciler.config import models

    models._suggested.clear()
    for i in range(models._SUGGESTIONS_LIMIT * 3):
        assert models._closest_timezone(f"Bad/Zone{i}") is None or True
    assert len(models._suggested) == models._SUGGESTIONS_LIMIT
    assert models._closest_timezone("Europe/Pari") is None  # past the bound: no search, still refused
    models._suggested.clear()
    assert models._closest_timezone("Europe/Pari") == "Europe/Paris"
