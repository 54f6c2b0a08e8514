"""The sandbox's clock: the real one plus an offset that only tests move.

Token expiry and the rate-limit bucket read it, so a test can step past a token's lifetime or a
``Retry-After`` with ``SandboxServer.advance_clock(seconds)`` instead of sleeping through it. Nothing else
moves it: a sandbox started by ``reconciler sandbox serve`` or ``--sandbox`` keeps the real time.
"""

from __future__ import annotations

import time


class Clock:
    """Wall-clock and monotonic time, both ``offset`` seconds ahead of the real ones."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Move both clocks ``seconds`` forward (a test hook; time never runs backwards)."""
        if not seconds >= 0:  # also refuses NaN
            raise ValueError(f"the sandbox clock only moves forward, not by {seconds!r} s")
        self.offset += seconds
