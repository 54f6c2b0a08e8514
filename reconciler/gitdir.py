"""The ``git`` command line for reading the repository that holds the config files.

git refuses a repository owned by another user ("detected dubious ownership") unless it is listed in
``safe.directory``: the container recipe and a git-sync sidecar both check the configs out as another user,
so every read failed and the revision fell back to a digest (the page, the notifications) or to null (the
audit log's ``config.commit``). The operator chose that repository by pointing reconciler at its files, so
its top level is trusted for the one command, and ``core.fsmonitor`` (the one setting a plain
``status`` would run as a program: the risk ``safe.directory`` guards against) is forced off.
"""

from __future__ import annotations

from pathlib import Path


def top_level(directory: Path) -> Path:
    """The nearest folder at or above ``directory`` holding ``.git`` (a directory in a clone, a file in a
    worktree or a submodule), else ``directory`` itself."""
    start = directory.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def git_argv(directory: Path, *args: str) -> list[str]:
    """``git -C directory ARGS``, trusting the repository at or above ``directory`` whoever owns it."""
    return [
        "git",
        "-c",
        f"safe.directory={top_level(directory)}",
        "-c",
        "core.fsmonitor=false",
        "-C",
        str(directory),
        *args,
    ]
