"""Reading a saved plan file, and writing the files a command produces (plan files, exported and refreshed
configs)."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reconciler.core.saved import not_a_plan, parse_plan
from reconciler.errors import ReconcilerError


def open_regular(path: Path, flags: int, what: str) -> int:
    """Open ``path`` (created 0600 if missing) as a regular file only: a planted symbolic link is not followed
    (its target would be overwritten), and a FIFO or device is refused instead of blocking the run forever.
    ``what`` names the file in the error (``--audit-log x``)."""
    try:
        handle = os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    except OSError as err:
        if err.errno == errno.ELOOP:  # the last component is a symbolic link
            raise ReconcilerError(f"{what}: is a symbolic link; give the file itself") from None
        if err.errno == errno.ENXIO:  # a FIFO nobody reads: opened non-blocking, it fails instead of hanging
            raise ReconcilerError(f"{what}: is not a regular file (a FIFO); give a file") from None
        raise
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise ReconcilerError(f"{what}: is not a regular file (a FIFO, device or directory); give a file")
    fcntl.fcntl(handle, fcntl.F_SETFL, fcntl.fcntl(handle, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    return handle


def read_plan_file(path: str) -> dict[str, Any]:
    """The document of the plan file at ``path`` (``show``, ``apply --plan``): refused unless it is one."""
    try:
        text = Path(path).read_text()
    except (OSError, ValueError) as err:  # ValueError: bytes that are not UTF-8
        raise not_a_plan(path, err) from None
    return parse_plan(text, path)


def check_output(path: Path, inputs: Iterable[str | Path]) -> None:
    """Refuse an output that is one of the run's input files (``plan --out account.yaml`` would replace the
    config with a plan) or whose directory does not exist (a typo should not create a tree)."""
    for source in inputs:
        if path.exists() and Path(source).exists() and os.path.samefile(path, source):
            raise ReconcilerError(f"{path}: is an input config of this run; write the output elsewhere")
    if not path.parent.is_dir():
        raise ReconcilerError(
            f"{path}: cannot write: directory {path.parent} does not exist (create it first; reconciler "
            "does not create directories)"
        )


# A file meant for git and teammates (an exported config holds ``${VAR}`` references, never a secret; the
# schema is public): created as the shell would, 0666 less the umask. Plan files keep mkstemp's 0600.
SHARED = 0o666


def write_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write next to ``path`` then rename: an interrupted run leaves the old file or the new, never half.
    An existing file keeps its mode; a new one gets ``mode`` less the umask (default 0600, private).
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
        elif mode is not None:
            os.chmod(tmp, mode & ~_umask())
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise ReconcilerError(f"{path}: cannot write: {err.strerror or err}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0o022)  # the only way to read it is to set it: put it straight back
    os.umask(current)
    return current
