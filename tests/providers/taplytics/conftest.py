"""Fixtures of the Taplytics tests: the export tests' CLI (searched for the canary token, aimed at a
sandbox) and the client tests' recorded sleeps."""

import pytest

from tests.support.export_fixtures import aim, cli, tap
from tests.support.fake_http import SleepRecorder

__all__ = ["aim", "cli", "sleeps", "tap"]


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()
