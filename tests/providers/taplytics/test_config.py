"""Taplytics configs: defaults, the token kept out of the model, identities, duplicates across files."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.loading import load_configs, summary
from reconciler.providers.taplytics.config import TaplyticsConfig

HEADER = "version: 1\nprovider: taplytics\nproject:\n  name: my-app\n"


def write(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_and_users(tmp_path: Path) -> None:
    text = HEADER + (
        "users:\n"
        '  - user_id: "007"\n    custom_data:\n      beta: "true"\n      score: 3\n      ratio: 0.5\n'
        "      vip: true\n"
        "  - user_id: qa-002\n    email: qa2@example.com\n"
    )
    [loaded] = load_configs([write(tmp_path, text)])
    config = loaded.config
    assert isinstance(config, TaplyticsConfig)
    assert config.project.api_token == "${TAPLYTICS_API_TOKEN}" and config.project.api_url is None
    first, second = config.users
    assert first.user_id == "007"  # quoted: the string, leading zeros kept
    assert first.custom_data == {"beta": "true", "score": 3, "ratio": 0.5, "vip": True}
    assert [type(v) for v in first.custom_data.values()] == [str, int, float, bool]
    assert second.name is None and second.custom_data is None
    assert summary([loaded]) == "1 file valid: 1 account(s), 2 user(s)"


def test_token_is_never_interpolated_into_the_model(tmp_path: Path) -> None:
    text = HEADER + "  api_token: ${MY_TOKEN}\nusers:\n  - user_id: qa-9\n    name: QA\n"
    [loaded] = load_configs([write(tmp_path, text)], env={"MY_TOKEN": "tok-secret-value"})
    assert isinstance(loaded.config, TaplyticsConfig)
    assert loaded.config.project.api_token == "${MY_TOKEN}"  # resolved into a Secret where it is sent
    assert "tok-secret-value" not in repr(loaded)


def test_a_user_id_cannot_carry_a_variable(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "users:\n  - user_id: ${QA_ID}\n    name: QA\n")
    with pytest.raises(ConfigError) as err:
        load_configs([path], env={"QA_ID": "qa-9"})
    assert f"{path}:6:14: users[0].user_id: ${{...}} is only allowed in the credentials" in str(err.value)


@pytest.mark.parametrize("token", ["${TAPLYTICS_API_TOKEN:-abc123def}", "prefix-${TAPLYTICS_API_TOKEN}"])
def test_a_token_with_a_literal_part_is_refused(tmp_path: Path, token: str) -> None:
    path = write(tmp_path, HEADER + f"  api_token: {token}\n")
    with pytest.raises(ConfigError) as err:
        load_configs([path])
    message = str(err.value)
    assert f"{path}:5:14: project.api_token holds a literal value" in message
    assert "abc123def" not in message and "prefix" not in message


def test_same_project_in_two_files_names_both(tmp_path: Path) -> None:
    a = write(tmp_path, HEADER, "a.yaml")
    b = write(tmp_path, HEADER, "b.yaml")
    with pytest.raises(ConfigError) as err:
        load_configs([a, b])
    assert (
        f"{b}:4:9: taplytics project my-app is also declared in {a}:4; one project belongs in exactly one file"
        in str(err.value)
    )


def test_abtasty_and_taplytics_files_side_by_side(tmp_path: Path) -> None:
    write(tmp_path, HEADER + "users:\n  - user_id: u1\n    name: U\n", "tap.yaml")
    write(tmp_path, "version: 1\nprovider: abtasty\naccount:\n  id: 41902\n", "ab.yaml")
    loaded = load_configs([tmp_path])
    assert [c.config.provider for c in loaded] == ["abtasty", "taplytics"]  # type: ignore[attr-defined]
