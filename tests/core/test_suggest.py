"""The one did-you-mean: the same word in another case first, then the nearest spelling."""

from __future__ import annotations

from reconciler.core.suggest import closest, did_you_mean


def test_another_case_is_the_same_word() -> None:
    assert closest("Admin", ["admin", "user", "viewer"]) == "admin"
    assert closest("VIEWER", ["admin", "user", "viewer"]) == "viewer"


def test_a_misspelling_gets_the_nearest_choice() -> None:
    assert did_you_mean("Gil Tset", ["Gil Test", "Public API Test", "test"]) == "; did you mean 'Gil Test'?"


def test_nothing_close_says_nothing() -> None:
    assert did_you_mean("zzz", ["admin", "user"]) == ""
    assert did_you_mean("admin", ["admin"]) == ""  # the value itself is no suggestion
