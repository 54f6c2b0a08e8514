"""Fixtures for the http tests (the fakes themselves live in tests/support/fake_http.py)."""

from __future__ import annotations

import pytest

from tests.support.fake_http import FakeAbTasty, FakeClock, SleepRecorder


@pytest.fixture
def fake() -> FakeAbTasty:
    return FakeAbTasty()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()
