"""Writing the files a command produces (plan files, exported and refreshed configs)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from reconciler.errors import ReconcilerError


def write_atomic(path: Path, text: str) -> None:
    """Write next to ``path`` then rename: an interrupted run leaves the old file or the new, never half.
    A file that cannot be written (no such directory, no permission, disk full) is a user error naming it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise ReconcilerError(f"{path}: cannot write: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise ReconcilerError(f"{path}: cannot write: {err.strerror or err}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
