"""The did-you-mean of every message that refuses a name: keys, providers, roles, test names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(value: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice ``value`` most likely meant: the same word in another case first (``Admin`` is
    ``admin``), else the nearest spelling (``Gil Tset`` is ``Gift Test``), compared case-folded."""
    by_fold: dict[str, str] = {}
    for choice in choices:
        by_fold.setdefault(choice.casefold(), choice)
    folded = value.casefold()
    if folded in by_fold:
        return by_fold[folded]
    close = difflib.get_close_matches(folded, list(by_fold), n=1, cutoff=cutoff)
    return by_fold[close[0]] if close else None


def did_you_mean(value: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """``"; did you mean 'X'?"``, or nothing when no choice is close."""
    found = closest(value, choices, cutoff)
    return f"; did you mean '{found}'?" if found is not None and found != value else ""
