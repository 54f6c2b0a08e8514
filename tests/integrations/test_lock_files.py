"""The lock files hold every dependency pyproject.toml names: a dependency added without `make lock` fails
here, with the fix, instead of as an ImportError after an install from a stale lock."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def locked(name: str) -> set[str]:
    text = (ROOT / name).read_text()
    return {canonicalize_name(m) for m in re.findall(r"^([A-Za-z0-9._-]+)==", text, re.M)}


def test_every_dependency_is_locked_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    dev = {canonicalize_name(Requirement(r).name) for r in project["optional-dependencies"]["dev"]}
    assert runtime - locked("requirements.lock") == set(), "run `make lock` and commit the lock files"
    assert (runtime | dev) - locked("requirements-dev.lock") == set(), (
        "run `make lock` and commit the lock files"
    )
    build = {
        canonicalize_name(Requirement(r).name)
        for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    }
    assert build | {"uv"} <= locked("requirements-bootstrap.lock"), (
        "run `make lock` and commit the lock files"
    )
    for name in ("requirements.lock", "requirements-dev.lock", "requirements-bootstrap.lock"):
        pins = re.findall(
            r"^[A-Za-z0-9._-]+==\S+(?: ;[^\n\\]*)? \\\n(?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+",
            (ROOT / name).read_text(),
            re.M,
        )
        assert len(pins) == len(locked(name)), f"{name}: every pin carries its hashes"
