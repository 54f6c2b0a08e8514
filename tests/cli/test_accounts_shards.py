"""``reconciler accounts``: the shard list of a config repository, offline, with --changed-since over git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reconciler.core.shards import AccountFile, shard
from tests.support.e2e import Result, run_cli

TAP = "version: 1\nprovider: taplytics\nproject:\n  name: {name}\n  api_token: ${{{token}}}\n"
ABT = "version: 1\nprovider: abtasty\naccount:\n  id: {id}\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config repository at its base commit: five Taplytics projects and one AB Tasty account."""
    (tmp_path / "accounts").mkdir()
    for name, token in [("keep", "T_KEEP"), ("edit", "T_EDIT"), ("move", "T_MOVE"), ("gone", "T_GONE")]:
        (tmp_path / "accounts" / f"{name}.yaml").write_text(TAP.format(name=name, token=token))
    (tmp_path / "accounts" / "share.yaml").write_text(TAP.format(name="share", token="T_EDIT"))
    (tmp_path / "accounts" / "ab.yaml").write_text(ABT.format(id=41902))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def accounts(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return run_cli(monkeypatch, capsys, {}, "accounts", *args)


def _change_everything(repo: Path) -> None:
    """Rename one file, delete one, add one (not yet committed or tracked), edit one, leave the rest."""
    _git(repo, "mv", "accounts/move.yaml", "accounts/moved.yaml")
    _git(repo, "rm", "-q", "accounts/gone.yaml")
    (repo / "accounts" / "added.yaml").write_text(TAP.format(name="added", token="T_ADDED"))
    with (repo / "accounts" / "edit.yaml").open("a") as handle:
        handle.write("users: []\n")


def test_changed_since_lists_renamed_deleted_and_added_files_and_nothing_untouched(repo, monkeypatch, capsys):
    _change_everything(repo)
    _git(repo, "add", "accounts/moved.yaml")
    found = accounts(monkeypatch, capsys, "accounts/", "--changed-since", "HEAD", "--format", "json")
    assert found.code == 0, found.all
    entries = json.loads(found.out)
    files = sorted(f for e in entries for f in e["files"])
    assert files == ["accounts/added.yaml", "accounts/edit.yaml", "accounts/moved.yaml"]
    assert [d for e in entries for d in e["deleted"]] == ["accounts/gone.yaml"]
    renamed = {k: v for e in entries for k, v in e["renamed"].items()}
    assert renamed == {"accounts/moved.yaml": "accounts/move.yaml"}
    gone = next(e for e in entries if e["deleted"])
    assert "taplytics:gone" in gone["accounts"] and "T_GONE" in gone["credentials"]
    text = accounts(monkeypatch, capsys, "accounts/", "--changed-since", "HEAD").out
    assert "accounts/gone.yaml: taplytics gone (deleted)" in text
    assert "renamed from accounts/move.yaml" in text and "keep.yaml" not in text


def test_the_json_is_a_matrix_include_and_no_credential_is_split(repo, monkeypatch, capsys):
    found = accounts(monkeypatch, capsys, "accounts/", "--shards", "10", "--format", "json")
    entries = json.loads(found.out)
    assert isinstance(entries, list) and [e["shard"] for e in entries] == list(range(1, len(entries) + 1))
    assert all(set(e) >= {"shard", "paths", "files", "providers", "accounts", "credentials"} for e in entries)
    owner = {c: e["shard"] for e in entries for c in e["credentials"]}
    edit = next(e for e in entries if "accounts/edit.yaml" in e["files"])
    assert "accounts/share.yaml" in edit["files"] and owner["T_EDIT"] == edit["shard"]
    assert sum(len(e["files"]) for e in entries) == 6 and len(entries) == 5  # edit + share: one shard
    assert all(e["paths"] == " ".join(e["files"]) for e in entries)


def test_a_malformed_file_is_reported_as_validate_reports_it(repo, monkeypatch, capsys):
    (repo / "accounts" / "bad.yaml").write_text("version: 1\nprovider: taplytics\nproject:\n  nmae: x\n")
    found = accounts(monkeypatch, capsys, "accounts/")
    checked = run_cli(monkeypatch, capsys, {}, "validate", "accounts/")
    assert found.code == checked.code == 1
    assert "accounts/bad.yaml:4:3" in found.err and found.err == checked.err


def test_a_bad_ref_or_an_option_as_ref_is_a_user_error(repo, monkeypatch, capsys):
    assert "git rev-parse failed" in accounts(monkeypatch, capsys, "accounts/", "--changed-since", "nope").err
    refused = accounts(monkeypatch, capsys, "accounts/", "--changed-since=--output=x")
    assert refused.code == 1 and "not an option" in refused.err


def test_shards_never_split_an_account_or_a_credential_and_are_deterministic():
    files = [AccountFile(f"a/{i:03}.yaml", "taplytics", f"p{i}", (f"T{i % 7}",)) for i in range(100)]
    files.append(AccountFile("a/old.yaml", "taplytics", "p3", ("OTHER",), deleted=True))  # p3's old file
    shards = shard(files, 5)
    assert shard(list(reversed(files)), 5) == shards and len(shards) == 5
    for key in {k for f in files for k in f.ties()}:
        assert len([s for s in shards if any(key in a.ties() for a in s.accounts)]) == 1, key
    assert sorted(a.file for s in shards for a in s.accounts) == sorted(f.file for f in files)
    assert len(shard(files[:3], 10)) == 3
    with pytest.raises(ValueError, match="256"):
        shard(files, 257)
