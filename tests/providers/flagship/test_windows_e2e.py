"""A sync window limits Flagship's own kinds of change (panic, campaign, flag, user): a deny window for
``campaign`` refuses the plan's campaign changes (exit 1, nothing written), a window for ``panic`` lets them
through; a kind Flagship does not make is refused at load (tests/config/bad/60_* and 61_*)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.providers.flagship.test_e2e import BODY
from tests.support.e2e import sandbox_server
from tests.support.flagship import FLAGSHIP_CANARY, api_requests, flagship_cli, write_flagship

FREEZE = """sync_windows:
  - name: campaign-freeze
    kind: deny
    schedule: "* * * * *"
    duration: 1h
    timezone: Europe/Paris
    changes: [{kind}]
"""


def _writes(requests: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in requests if r["method"] != "GET" and "/flagship-auth/" not in str(r["path"])]


def test_a_window_holds_flagship_campaign_changes_and_not_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    frozen = write_flagship(tmp_path, BODY + FREEZE.format(kind="campaign"), "frozen.yaml")
    with sandbox_server(flagship_client_secret=FLAGSHIP_CANARY) as server:
        run = flagship_cli(server, monkeypatch, capsys)
        refused = run("apply", str(frozen), "--auto-approve")
        assert refused.code == 1, refused.all
        assert f"deny window 'campaign-freeze' ({frozen}:" in refused.err and "campaign:" in refused.err
        assert "user:" not in refused.err.split("nothing was applied")[1].split("To apply")[0]
        assert _writes(api_requests(server)) == []
        other = write_flagship(tmp_path, BODY + FREEZE.format(kind="panic"), "panic-only.yaml")
        applied = run("apply", str(other), "--auto-approve")
        assert applied.code == 0, applied.all
        assert any("campaign" in str(r["path"]) for r in _writes(api_requests(server)))


def test_every_provider_s_windows_take_the_types_its_changes_act_on() -> None:
    from reconciler.config.windows import change_types
    from reconciler.providers import registry

    for provider in registry.providers():
        field = provider.config_model.model_fields["sync_windows"]
        window = field.annotation.__args__[0]  # type: ignore[union-attr]
        items = window.model_json_schema()["properties"]["changes"]["items"]
        listed = items.get("enum") or [items["const"]]  # one type alone is a const in the schema
        assert listed == list(change_types(provider.kinds)), provider.name
        assert set(listed) == {k.resource_type.name for k in provider.kinds}, provider.name
