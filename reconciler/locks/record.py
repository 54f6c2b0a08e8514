"""A lease record, as every store writes and reads it: who holds it, where, since when, until when.

The stores (file_lease.py, github_lease.py) judge a record they read with ``expired``, and lease.py picks a
store; both read the record from here, so the stores never import the module that chooses among them.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Mapping
from typing import Any


def holder_line(record: Mapping[str, Any]) -> str:
    """Who holds a lease, where, since when: the line every refusal quotes."""
    who, where, since = (record.get(k, "?") for k in ("who", "where", "since"))
    return f"{who} on {where} since {since}"


def expired(record: Mapping[str, Any], skew: float) -> bool:
    """Whether a lease's holder stopped renewing it (a record without an expiry never expires)."""
    expires = record.get("expires")
    return isinstance(expires, int | float) and time.time() > expires + skew


def new_record(label: str, ttl: float, env: Mapping[str, str]) -> dict[str, Any]:
    """The record this run writes: who (the CI actor or the user), where (host, pid, run), since, expiry."""
    who = env.get("GITHUB_ACTOR") or env.get("USER") or "someone"
    where = f"{socket.gethostname()} pid {os.getpid()}"
    if env.get("GITHUB_RUN_ID"):
        where += f" (run {env['GITHUB_RUN_ID']})"
    since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    token = uuid.uuid4().hex  # tells our record from a look-alike another run wrote
    return {"account": label, "who": who, "where": where, "since": since, "token": token, "ttl": ttl,
            "expires": time.time() + ttl}  # fmt: skip
