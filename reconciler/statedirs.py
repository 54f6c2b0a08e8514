"""The directories a write needs besides the accounts: the lock files (``RECONCILER_LOCK_DIR``) and the
local state, such as an owed tag-script rebuild (``RECONCILER_STATE_DIR``, default ``.reconciler``).

``apply`` and ``watch --self-heal`` check both before anything is applied: an unwritable one is a clear
error naming its variable (exit 1), not a crash in the middle of an apply. A directory that does not exist
yet is fine when it can be created (its nearest existing parent is writable); the probe creates nothing
that stays.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.lock import LOCK_DIR_VARIABLE, lock_dir

STATE_DIR_VARIABLE = "RECONCILER_STATE_DIR"


def state_dir(env: Mapping[str, str]) -> Path:
    """Where local state lives: ``$RECONCILER_STATE_DIR``, else ``.reconciler`` in the working directory."""
    return Path(env.get(STATE_DIR_VARIABLE) or ".reconciler")


def unwritable(directory: Path, variable: str, why: str) -> ReconcilerError:
    """The error that names the variable to set."""
    return ReconcilerError(
        f"{variable}: cannot write in {directory} ({why}); set {variable} to a writable directory "
        "(nothing was applied)"
    )


def require_writable(directory: Path, variable: str) -> None:
    """``directory`` exists and takes a file, or can be created; else the error naming ``variable``."""
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent  # the nearest existing ancestor: where the directory would be created
    if not probe.is_dir():
        raise unwritable(directory, variable, f"{probe} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=probe):  # a real write: root ignores the mode bits, not EROFS
            pass
    except OSError as err:
        raise unwritable(directory, variable, err.strerror or str(err)) from None


def require_local_state(env: Mapping[str, str] = os.environ) -> None:
    """Both directories a write needs (see the module docstring)."""
    require_writable(lock_dir(env), LOCK_DIR_VARIABLE)
    require_writable(state_dir(env), STATE_DIR_VARIABLE)
