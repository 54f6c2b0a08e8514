"""Large generated accounts: start-up time and per-write persistence cost (printed, never asserted on time)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from reconciler.sandbox.seed import initial_state
from reconciler.sandbox.server import serve_in_thread
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, CORE, INTERFACE, token_for

BIG = "generated:tests=10000,members=2000"


def test_generated_seed_is_deterministic() -> None:
    assert initial_state("generated:tests=50,members=5") == initial_state("generated:tests=50,members=5")


async def _mutate(url: str, token: str, count: int) -> None:
    ids = iter(range(500000, 500000 + count))

    async def worker(api: httpx.AsyncClient) -> None:
        for test_id in ids:
            action = "play" if test_id % 2 else "pause"
            assert (await api.patch(f"{INTERFACE}/tests/{test_id}/{action}")).status_code == 204

    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as api:
        await asyncio.gather(*(worker(api) for _ in range(8)))


def test_big_account_startup_and_write_cost(tmp_path: Path) -> None:
    started = time.perf_counter()
    path = tmp_path / "big.json"
    with serve_in_thread(
        seed=BIG, state_path=path, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as server:
        token = token_for(server)
        first = httpx.get(f"{server.url}{CORE}/tests", headers={"Authorization": f"Bearer {token}"})
        startup = time.perf_counter() - started
        assert first.json()["total"] == 10000 and first.json()["pages"] == 1000
        members = httpx.get(f"{server.url}{CORE}/membership", headers={"Authorization": f"Bearer {token}"})
        assert members.json()["total"] == 2000
        before = server.persistence_stats()
        begun = time.perf_counter()
        asyncio.run(_mutate(server.url, token, 300))
        elapsed = time.perf_counter() - begun
        after = server.persistence_stats()
    writes = after["writes"] - before["writes"]
    per_write_ms = 1000 * (after["seconds"] - before["seconds"]) / writes
    size_mb = path.stat().st_size / 1e6
    print(
        f"\n{BIG}: first answer {startup:.2f}s after start; state file {size_mb:.1f} MB; "
        f"300 mutations x8 in {elapsed:.2f}s with {writes:.0f} writes, {per_write_ms:.1f} ms per write"
    )
    assert writes < 300
