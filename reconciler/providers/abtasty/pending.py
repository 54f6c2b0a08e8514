"""A local marker of a tag-script rebuild still owed, so that "running apply again converges" holds for the
script too.

The API says nothing about when the script was last built (the document has ``update_script`` and
``clear_script``, no read), so the debt is remembered here: a marker file is written *before* the first test
change of an apply that will rebuild, and removed only once the rebuild succeeded. A failed rebuild, a
SIGKILL or a power cut between the last test change and the rebuild all leave the marker, and the next plan
of that account shows ``~ tag script: rebuild (owed by an earlier apply)``.

Where: ``$RECONCILER_STATE_DIR`` (default ``.reconciler`` in the working directory), one file per API host
and account. The limit: a marker lives on the machine that ran the apply. If that machine is gone (a CI
runner's workspace), create it by hand and apply again (docs/providers.md gives the one command); the CI recipe
keeps ``.reconciler/`` between runs with actions/cache (examples/ci).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from reconciler.statedirs import STATE_DIR_VARIABLE, state_dir, unwritable


def marker_path(api_url: str, account_id: int) -> Path:
    """The marker of one account on one API (the sandbox's 41902 is not the real 41902)."""
    import httpx  # the URL as the client parses it (IDNA); imported here, since plan and apply have it loaded

    host = re.sub(r"[^A-Za-z0-9.-]", "_", httpx.URL(api_url).host or "api")
    return state_dir(os.environ) / "pending" / f"abtasty-{host}-{account_id}.rebuild"


def is_owed(path: Path) -> bool:
    """Whether an earlier apply left a rebuild undone."""
    return path.is_file()


def owe(path: Path) -> None:
    """Record the debt before the first test change (durably: a kill right after must not lose it)."""
    if path.is_file():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            handle.write("a test changed and the tag script was not rebuilt since; apply rebuilds it\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as err:  # the test change is not made: its debt could not be recorded
        raise unwritable(path.parent, STATE_DIR_VARIABLE, err.strerror or str(err)) from None


def paid(path: Path) -> None:
    """The rebuild succeeded."""
    path.unlink(missing_ok=True)
