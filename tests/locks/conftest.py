"""The locks' fixtures: the GitHub fake with its git database and pull requests (tests/support/pr_locks.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.pr_locks import Hub, served_hub


@pytest.fixture
def hub() -> Iterator[Hub]:
    with served_hub() as served:
        yield served
