"""The README's sample plan is the demo's real output: the test fails when they differ."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.support.e2e import run_cli

ROOT = Path(__file__).resolve().parents[2]


def _readme_sample() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"## Plans\n.*?```\n(.*?)```", text, re.S)
    assert match is not None, "the README lost its ## Plans sample"
    return match.group(1)


def test_readme_plan_sample_is_the_demo_output(monkeypatch, capsys, tmp_path):
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "demo.yaml", tmp_path / "examples" / "demo.yaml")
    monkeypatch.chdir(tmp_path)  # a fresh embedded sandbox (.reconciler/ here), as make demo starts
    result = run_cli(monkeypatch, capsys, {}, "plan", "examples/demo.yaml", "--sandbox")
    assert result.code == 0, result.err
    assert result.out == _readme_sample()


def test_make_demo_says_how_to_run_reconciler_afterwards():
    assert "source .venv/bin/activate" in (ROOT / "scripts" / "demo.sh").read_text()


def test_the_quickstart_names_every_prerequisite():
    """A fresh clone needs more than Python: make runs the set-up, git the clone, uv fetches from an index."""
    text = (ROOT / "README.md").read_text()
    quickstart = text.split("## Quickstart", 1)[1].split("```", 1)[0]
    words = " ".join(quickstart.split())
    for needed in ("`make`", "`git`", "Python 3.11+", "access to the Python package index"):
        assert needed in words, needed
    assert "nothing else" not in words
