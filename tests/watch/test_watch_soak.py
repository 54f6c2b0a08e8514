"""Soak: many checks at a short interval with resident memory flat (``make soak`` runs 1,000 checks after 100
of warm-up; the normal suite a short version, 100 after 50). The figure is printed, for docs/watch.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.sandbox.server import SandboxServer
from tests.support.watch import Watch, abtasty_config, sandbox_env, taplytics_config, wait_for, watching

pytestmark = pytest.mark.slow  # many watch checks in a row

CHECKS = "reconciler_checks_total"
WARM_UP = 100  # checks before the baseline: imports, caches and connection pools are settled by then
# The short run's warm-up: resident memory is flat from about the 30th check on (samples printed below).
SHORT_WARM_UP = 50
MAX_GROWTH_KIB = 8 * 1024


def _checks(watch: Watch) -> float:
    return watch.total(CHECKS)


def soak(server: SandboxServer, tmp_path: Path, checks: int, warm_up: int = WARM_UP) -> None:
    taplytics_config(tmp_path)
    abtasty_config(tmp_path, server)
    with watching(
        [str(tmp_path), "--interval", "10ms", "--listen", "127.0.0.1:0"], sandbox_env(server), tmp_path
    ) as watch:
        wait_for(lambda: _checks(watch) >= warm_up, 120, f"{warm_up} checks", every=0.2)
        server.clear_requests()  # the sandbox's own log is not the watch's memory
        baseline = watch.rss_kib()
        samples = [baseline]
        for target in range(warm_up + 100, warm_up + checks + 1, 100):
            wait_for(lambda t=target: _checks(watch) >= t, 120, f"{target} checks", every=0.2)  # type: ignore[misc]
            samples.append(watch.rss_kib())
            server.clear_requests()
        done = _checks(watch) - warm_up
        errors = watch.total("reconciler_checks_total", outcome="error")
    growth = samples[-1] - baseline
    print("\nRSS samples (KiB, every ~100 checks):", samples)
    print(
        f"\nwatch soak: {done:.0f} checks after {warm_up} warm-up, {errors:.0f} errors; resident memory "
        f"{baseline / 1024:.1f} MiB -> {samples[-1] / 1024:.1f} MiB ({growth:+d} KiB), peak {max(samples) / 1024:.1f} MiB"
    )
    assert errors == 0
    assert growth < MAX_GROWTH_KIB, f"resident memory grew by {growth} KiB over {done:.0f} checks"


def test_watch_soak_short(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    soak(tap_sandbox, tmp_path, 100, warm_up=SHORT_WARM_UP)


@pytest.mark.soak
def test_watch_soak_1000_checks(tap_sandbox: SandboxServer, tmp_path: Path) -> None:
    soak(tap_sandbox, tmp_path, 1000)
