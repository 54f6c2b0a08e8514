"""The floor: the least a careful client in this stack does for the requests a reconciler run made.

A fresh process that gets the token, then sends the same reads (and, for an apply, the same writes) with
httpx, ``--parallelism`` in flight, decodes each JSON body and does nothing else: no config, no diff, no
retries. ``bench/run.py`` times it beside ``reconciler`` against the same sandbox (interleaved runs) and prints
every plan and apply row as a ratio to it.

    .venv/bin/python bench/bare.py URL SCRIPT.json [--parallelism 8]

``SCRIPT.json`` is a list of waves, each a list of ``[method, path, query, body]``: the requests of one wave
wait for nothing but the waves before it (page 1 of a list before its other pages, the reads before the
writes, the writes before the tag script rebuild), as the reconciler's own run waited. ``script_of`` builds it
from the sandbox's request log of that run. The credentials are the sandbox's, from the environment.
"""

from __future__ import annotations

import sys
import types

# As reconciler does (reconciler/__init__.py): httpx's command-line client is not loaded, here neither.
sys.modules["httpx._main"] = types.ModuleType("httpx._main")

import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

Request = tuple[str, str, str, Any]


def script_of(log: list[dict[str, Any]]) -> list[list[Request]]:
    """The waves of a reconciler run, from the sandbox's request log (the token request left out: the bare
    client gets its own). First pages and single reads, then later pages, then writes, then the script."""
    waves: list[list[Request]] = [[], [], [], []]
    for entry in log:
        method, path, query, body = entry["method"], entry["path"], entry["query"], entry["body"]
        if path.startswith("/oauth"):
            continue
        if method != "GET":
            waves[3 if path.endswith("/update_script") else 2].append((method, path, query, body))
        else:
            later = "_page=" in query and "_page=1&" not in query
            waves[1 if later else 0].append((method, path, query, body))
    return [wave for wave in waves if wave]


async def run(url: str, waves: list[list[Request]], parallelism: int) -> int:
    gate = asyncio.Semaphore(parallelism)
    async with httpx.AsyncClient(
        base_url=url, timeout=60, limits=httpx.Limits(max_connections=parallelism)
    ) as http:
        token = await http.post(
            "/oauth/v2/token",
            json={
                "client_id": os.environ["ABTASTY_CLIENT_ID"],
                "client_secret": os.environ["ABTASTY_CLIENT_SECRET"],
                "grant_type": "client_credentials",
            },
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        sent = 1

        async def one(method: str, path: str, query: str, body: Any) -> None:
            async with gate:
                target = f"{path}?{query}" if query else path
                response = await http.request(method, target, headers=headers, json=body)
                response.raise_for_status()
                if response.content:
                    response.json()

        for wave in waves:
            await asyncio.gather(*(one(*request) for request in wave))
            sent += len(wave)
    return sent


def main() -> None:
    args = sys.argv[1:]
    parallelism = 8
    if "--parallelism" in args:
        at = args.index("--parallelism")
        parallelism = int(args[at + 1])
        del args[at : at + 2]
    url, script = args
    with open(script) as file:
        waves = [[tuple(request) for request in wave] for wave in json.load(file)]
    sent = asyncio.run(run(url, waves, parallelism))  # type: ignore[arg-type]
    print(f"{sent} requests")


if __name__ == "__main__":
    main()
