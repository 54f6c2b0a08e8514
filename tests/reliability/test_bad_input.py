"""Bad input never reaches the network: every invalid config, missing variable, bad plan file and bad flag
exits 1 with a message naming the file (and line) and the sandbox's request log stays empty.

The configs are the ones tests/config/bad/ holds (each with its ``# expect: LINE:COL: message`` header), run
through ``plan`` and ``apply`` instead of ``validate``, with a live sandbox and credentials in the
environment: everything a real request would need is there, so an empty log means the input was refused
before any request, not that none could be made.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler import __version__
from reconciler.sandbox.server import SandboxServer
from tests.support.e2e import CANARY_SECRET, CLIENT_ID, HEADER, Result, run_cli, sandbox_server, server_env

CONFIG_TESTS = Path(__file__).parent.parent / "config"
BAD = sorted((CONFIG_TESTS / "bad").glob("*.yaml"))
EXPECT = re.compile(r"# expect: (\d+):(\d+): ")
TAPLYTICS_TOKEN = "bad-input-taplytics-token"
Cli = Callable[..., Result]
CREDENTIALS = (
    "  credentials:\n    client_id: ${ABTASTY_CLIENT_ID}\n    client_secret: ${ABTASTY_CLIENT_SECRET}\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """One demo sandbox for the module: no case may make it see a single request."""
    state = tmp_path_factory.mktemp("bad-input") / "state.json"
    with sandbox_server(
        seed="demo",
        state_path=state,
        client_id=CLIENT_ID,
        client_secret=CANARY_SECRET,
        taplytics_token=TAPLYTICS_TOKEN,
    ) as running:
        yield running


@pytest.fixture
def cli(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Cli]:
    env = {**server_env(server), "TAPLYTICS_API_URL": server.url, "TAPLYTICS_API_TOKEN": TAPLYTICS_TOKEN}
    server.clear_requests()

    def invoke(*args: str, unset: str = "") -> Result:
        if unset:
            monkeypatch.delenv(unset, raising=False)
        return run_cli(monkeypatch, capsys, {k: v for k, v in env.items() if k != unset}, *args)

    yield invoke
    assert server.requests() == [], "bad input reached the API"


def expected_location(path: Path) -> str:
    match = EXPECT.match(path.read_text())
    line, col = (match.group(1), match.group(2)) if match else ("1", "1")  # the empty file has no header
    return f"{path}:{line}:{col}:"


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")], ids=["plan", "apply"])
@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_invalid_config_exits_1_at_its_line_with_zero_requests(
    path: Path, command: tuple[str, ...], cli: Cli
) -> None:
    result = cli(*command, str(path))
    assert result.code == 1, result.all
    assert expected_location(path) in result.err, result.err
    assert "problem" in result.err


def test_same_account_in_two_files(cli: Cli) -> None:
    pair = sorted((CONFIG_TESTS / "bad_pair").glob("*.yaml"))
    result = cli("plan", *map(str, pair))
    assert result.code == 1
    assert str(pair[1]) in result.err


def test_unset_credential_variable_names_the_line_and_the_variable(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "account.yaml"
    config.write_text(HEADER + CREDENTIALS + "tests:\n  - id: 381296\n    state: play\n")
    result = cli("plan", str(config), unset="ABTASTY_CLIENT_SECRET")
    assert result.code == 1
    assert f"{config}:7:" in result.err and "ABTASTY_CLIENT_SECRET" in result.err


@pytest.mark.parametrize(
    "args, message",
    [
        (("plan", "does-not-exist.yaml"), "does-not-exist.yaml"),
        (("plan", "--parallelism", "0", "x.yaml"), "--parallelism"),
        (("plan", "--format", "xml", "x.yaml"), "--format"),
        # No terminal: refused before any request, once the config is read (its own mistakes come first).
        (("apply", str(CONFIG_TESTS.parents[1] / "examples" / "demo.yaml")), "--auto-approve"),
    ],
    ids=["missing-file", "parallelism-0", "unknown-format", "apply-without-tty"],
)
def test_bad_arguments(args: tuple[str, ...], message: str, cli: Cli) -> None:
    result = cli(*args)
    assert result.code == 1, result.all
    assert message in result.err


def good_config(tmp_path: Path) -> Path:
    config = tmp_path / "account.yaml"
    config.write_text(HEADER + CREDENTIALS + "tests:\n  - id: 381296\n    state: play\n")
    return config


@pytest.mark.parametrize(
    "plan_text, message",
    [
        ("{not json", "not a reconciler plan file"),
        ("[]", "not a reconciler plan file"),
        (json.dumps({"reconciler_version": "0.0.1", "accounts": []}), "run plan again"),
        (
            json.dumps({"reconciler_version": __version__, "accounts": [{"file": "x"}]}),
            "not a reconciler plan",
        ),
    ],
    ids=["corrupt", "not-a-plan", "other-version", "truncated-account"],
)
def test_bad_saved_plan_is_refused_before_any_request(
    plan_text: str, message: str, cli, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(plan_text)
    result = cli("apply", str(good_config(tmp_path)), "--auto-approve", "--plan", str(saved))
    assert result.code == 1
    assert message in result.err


def test_plan_for_another_config_is_refused_before_any_request(cli: Cli, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    other = {
        "file": "other.yaml",
        "provider": "abtasty",
        "account": "41902",
        "changes": [],
        "fingerprints": {},
    }
    saved.write_text(json.dumps({"reconciler_version": __version__, "accounts": [other]}))
    result = cli("apply", str(good_config(tmp_path)), "--auto-approve", "--plan", str(saved))
    assert result.code == 1
    assert "run plan again" in result.err


@pytest.mark.parametrize(
    "resource, kind",
    [("test:abc", "test_state"), ("user:qa-001", "user_update"), ("member:a@b.co", "test_state")],
    ids=["test-id-not-a-number", "user-in-an-abtasty-plan", "kind-of-another-resource"],
)
def test_hand_edited_plan_resources_are_refused_before_any_request(
    resource: str, kind: str, cli: Cli, tmp_path: Path
) -> None:
    rtype, _, key = resource.partition(":")
    change = {"kind": kind, "resource": {"type": rtype, "id": key, "name": "x"}, "before": {}, "after": {}}
    account = {
        "file": "x",
        "provider": "abtasty",
        "account": "41902",
        "changes": [change],
        "fingerprints": {},
    }
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps({"reconciler_version": __version__, "accounts": [account]}))
    result = cli("apply", str(good_config(tmp_path)), "--auto-approve", "--plan", str(saved))
    assert result.code == 1, result.all
    assert repr(resource) in result.err
