"""``reconciler export`` and ``export --update`` for Flagship, end to end against the sandbox over HTTP.

An export validates (model and committed JSON Schema) and plans in sync under every reading of the pages;
drift made through the API itself (apply of another file) is refreshed into a hand-written file by changing
only the drifted values, comments and layout kept; ``--add-new`` appends what the file lacks; a bad
``--account`` is refused before any request.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.sandbox.flagship.readings import DIALECTS
from reconciler.sandbox.flagship.state import ACCOUNT_ID, ENVIRONMENT_ID
from tests.support.e2e import sandbox_server
from tests.support.export import check_valid
from tests.support.flagship import FLAGSHIP_CANARY, api_requests, flagship_cli, write_flagship

ACCOUNT = f"{ACCOUNT_ID}/{ENVIRONMENT_ID}"


@pytest.mark.parametrize("dialects", ["", ",".join(DIALECTS)], ids=["literal", "all"])
def test_an_export_validates_and_plans_in_sync(
    dialects: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "env.yaml"
    with sandbox_server(page_cap=5, dialects=dialects, flagship_client_secret=FLAGSHIP_CANARY) as server:
        run = flagship_cli(server, monkeypatch, capsys)
        exported = run("export", "--provider", "flagship", "--account", ACCOUNT, "-o", str(out))
        assert exported.code == 0, exported.err
        assert "12 campaign(s), 5 user(s), 4 flag(s)" in exported.out + exported.err
        text = out.read_text()
        assert "client_secret: ${FLAGSHIP_CLIENT_SECRET}" in text and FLAGSHIP_CANARY not in text
        assert '  - id: "c01"  # Checkout redesign\n    state: paused\n' in text
        assert "    - email: owner@example.com\n      role: ACCOUNT_OWNER\n" in text
        config = check_valid(out).config
        assert (config.panic, len(config.campaigns), len(config.flags.keys)) == ("off", 12, 4)
        planned = run("plan", str(out), "--detailed-exitcode")
        assert planned.code == 0, planned.out + planned.err


HAND_WRITTEN = """\
# Checkout squad's production environment. Ask #checkout first.
panic: off               # a sale freeze turns it on
campaigns:
  - name: Checkout redesign   # by name
    state: paused
  - id: c02
    state: interrupted        # waiting for legal
users:
  members:
    - email: Bob@Example.com  # capitals kept
      role: CREATOR
    - email: gone@example.com
      role: VIEWER
flags:
  keys:
    - {key: btn-color, type: string, description: Button colour}
    - key: new-checkout
      type: boolean
"""

# Made through the API by applying this file (panic on needs --force): the drift to refresh.
DRIFT = """panic: on
campaigns:
  - id: c01
    state: active
users:
  members:
    - email: bob@example.com
      role: ADMIN
    - email: new@example.com
      role: VIEWER
flags:
  keys:
    - key: btn-color
      type: string
      description: Button color (US)
"""

# Line number (1-based) of HAND_WRITTEN -> the line after the update; every other line stays byte for byte.
EXPECTED_LINES = {
    2: 'panic: "on"              # a sale freeze turns it on',  # quoted: YAML 1.1 reads a plain on as true
    5: "    state: active",
    11: "      role: ADMIN",
    16: '    - {key: btn-color, type: string, description: "Button color (US)"}',
}


def test_update_changes_only_the_drifted_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    header = write_flagship(tmp_path, "").read_text()
    path = tmp_path / "env.yaml"
    path.write_text(header + HAND_WRITTEN)
    drift = str(write_flagship(tmp_path, DRIFT, "drift.yaml"))
    with sandbox_server(flagship_client_secret=FLAGSHIP_CANARY) as server:
        run = flagship_cli(server, monkeypatch, capsys)
        assert run("apply", drift, "--auto-approve", "--force").code == 0
        server.clear_requests()
        checked = run("export", "--update", str(path), "--check")
        assert checked.code == 2 and path.read_text() == header + HAND_WRITTEN
        assert all(r["method"] == "GET" or r["path"].endswith("/token") for r in api_requests(server))
        result = run("export", "--update", str(path))
        assert result.code == 0, result.err
        offset = header.count("\n")
        after = path.read_text().splitlines()[offset:]
        assert len(after) == len(HAND_WRITTEN.splitlines())
        for number, (old, new) in enumerate(zip(HAND_WRITTEN.splitlines(), after, strict=True), start=1):
            assert new == EXPECTED_LINES.get(number, old), f"line {number}"
        p, at = str(path), lambda line: f"{path}:{line + offset}"
        assert f"{at(2)}: panic: off -> on" in result.out
        assert f"{at(5)}: campaigns[0] (Checkout redesign): state paused -> active" in result.out
        assert f"{at(11)}: users.members[0] (Bob@Example.com): role CREATOR -> ADMIN" in result.out
        assert f"{at(12)}: users.members[1] (gone@example.com): not in environment" in result.out
        assert "not in the file: user new@example.com" in result.out
        assert "not in the file: flag max-items" in result.out
        assert f"Updated {p}" in result.out
        # gone@example.com is still declared (a role that cannot be granted back is the reviewer's call).
        path.write_text(path.read_text().replace("    - email: gone@example.com\n      role: VIEWER\n", ""))
        assert run("plan", str(path), "--detailed-exitcode").code == 0
        added = run("export", "--update", str(path), "--add-new")
        assert added.code == 0, added.err
        text = path.read_text()
        assert "    - email: new@example.com\n      role: VIEWER\n" in text
        assert '    - key: max-items\n      type: number\n      description: "Cart size"\n' in text
        assert '  - id: "c03"  # Feature 3\n    state: active\n' in text
        check_valid(path, schema=False)
        assert run("plan", str(path), "--detailed-exitcode").code == 0


@pytest.mark.parametrize("account", ["bk87", "a/b/c", "a/${X}", "/env"])
def test_a_bad_account_is_refused_before_any_request(
    account: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with sandbox_server(flagship_client_secret=FLAGSHIP_CANARY) as server:
        run = flagship_cli(server, monkeypatch, capsys)
        result = run("export", "--provider", "flagship", "--account", account)
        assert result.code == 1
        assert "ACCOUNT_ID/ENVIRONMENT_ID" in result.err and "Traceback" not in result.err
        assert not api_requests(server)
