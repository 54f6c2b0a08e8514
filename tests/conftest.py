"""Fixtures every test shares."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own ``RECONCILER_STATE_DIR``: a tag-script rebuild one test leaves owed (a marker file)
    must not show up in another test's plan."""
    path = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("RECONCILER_STATE_DIR", str(path))
    return path
