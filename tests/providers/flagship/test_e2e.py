"""``reconciler plan`` / ``apply`` for Flagship, end to end: the CLI in-process against a real sandbox over
HTTP on 127.0.0.1, under every reading of the pages the sandbox plays, each alone and all at once (issue
30's acceptance).

plan -> apply -> plan --detailed-exitcode exits 0 and the sandbox's own state is the config's; lists span
pages (5 a page); campaigns move through the toggle route only; a revoked user is gone whichever parameter
spelling the server reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.sandbox.flagship.readings import DIALECTS
from tests.support.e2e import sandbox_server
from tests.support.flagship import (
    ENV_PATH,
    FLAGSHIP_CANARY,
    api_requests,
    flagship_cli,
    section,
    write_flagship,
)

BODY = """panic: off
campaigns:
  - name: Checkout redesign
    state: active
  - id: c02
    state: paused
  - id: c11
    state: interrupted
users:
  prune: true
  members:
    - email: owner@example.com
      role: ACCOUNT_OWNER
    - email: ada@example.com
      role: ADMIN
    - email: Bob@Example.com
      role: ADMIN
    - email: eve@example.com
      role: VIEWER
flags:
  prune: true
  keys:
    - key: btn-color
      type: string
      description: Checkout button colour
    - key: new-checkout
      type: boolean
    - key: free-shipping
      type: boolean
      description: Free shipping banner
"""
READINGS = ["", *DIALECTS, ",".join(DIALECTS)]
IDS = ["literal", *DIALECTS, "all"]


@pytest.mark.parametrize("dialects", READINGS, ids=IDS)
def test_plan_apply_plan_converges_under_every_reading(
    dialects: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_flagship(tmp_path, BODY))
    with sandbox_server(page_cap=5, dialects=dialects, flagship_client_secret=FLAGSHIP_CANARY) as server:
        run = flagship_cli(server, monkeypatch, capsys)
        planned = run("plan", config, "--detailed-exitcode")
        assert planned.code == 2, planned.err
        assert '~ campaign c01 "Checkout redesign": state paused -> active' in planned.out
        assert "- user cy@example.com (VIEWER)" in planned.out
        assert "- flag legacy-banner (boolean)" in planned.out
        applied = run("apply", config, "--auto-approve")
        assert applied.code == 0, applied.err
        again = run("plan", config, "--detailed-exitcode")
        assert again.code == 0, again.out + again.err
        state = section(server)
        log = api_requests(server)
    statuses = {c["id"]: c["status"] for c in state["campaigns"]}
    assert (statuses["c01"], statuses["c02"], statuses["c11"]) == ("active", "paused", "interrupted")
    assert {u["email"].lower(): u["role"] for u in state["users"]} == {
        "owner@example.com": "ACCOUNT_OWNER", "ada@example.com": "ADMIN", "bob@example.com": "ADMIN",
        "eve@example.com": "VIEWER",
    }  # fmt: skip
    flags = {f["name"]: (f["type"], f["description"]) for f in state["flags"]}
    assert flags == {
        "btn-color": ("string", "Checkout button colour"), "new-checkout": ("boolean", ""),
        "free-shipping": ("boolean", "Free shipping banner"),
    }  # fmt: skip
    writes = [r["path"] for r in log if r["method"] == "PATCH" and "/campaigns/" in r["path"]]
    assert writes and all(path.endswith("/toggle") for path in writes)  # never the campaign update
    pages = [r for r in log if r["method"] == "GET" and r["path"] == f"{ENV_PATH}/campaigns"]
    assert len(pages) >= 3  # 12 campaigns at 5 a page, in each plan
