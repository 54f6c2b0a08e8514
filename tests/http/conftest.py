"""Fixtures for the http tests (the fakes themselves live in http_fakes.py)."""

from __future__ import annotations

import pytest
from http_fakes import FakeAbTasty, FakeClock, SleepRecorder


@pytest.fixture
def fake() -> FakeAbTasty:
    return FakeAbTasty()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()
