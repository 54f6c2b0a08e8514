"""Only the build step pyproject.toml cannot say: write the commit into the wheel (reconciler/COMMIT), so
``reconciler --version`` names it where no git checkout is at hand (the Action installs its own checkout
non-editable). Without git, or outside a checkout, nothing is written and --version says "unknown".
Self-contained: an isolated build cannot import the package it builds."""

import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
COMMIT_FILE = "COMMIT"  # reconciler/build_info.py reads it


def _describe() -> str:
    if not (ROOT / ".git").exists():
        return ""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


class BuildWithCommit(build_py):
    def run(self) -> None:
        super().run()
        commit = _describe()
        if commit:
            target = Path(self.build_lib) / "reconciler" / COMMIT_FILE
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(commit + "\n", encoding="utf-8")


setup(cmdclass={"build_py": BuildWithCommit})
