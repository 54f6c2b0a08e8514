"""JSON Lines (the audit log): one record a line, for readers that split on any line break. With ASCII only,
no U+2028, U+2029 or U+0085 (which ``str.splitlines`` treats as line ends) can split a record."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def line(record: Any, *, sort_keys: bool = False, default: Callable[[Any], Any] | None = None) -> str:
    """``record`` as one line of ASCII JSON, without the trailing newline (``default`` as for json.dumps)."""
    return json.dumps(record, ensure_ascii=True, separators=(",", ":"), sort_keys=sort_keys, default=default)
