"""The listener's connection count, turn by turn (the chaos soak once caught the case): a connection the cap
refuses or evicts stops counting as soon as it is closed, not a loop turn later when asyncio reports the loss.
Until then uvicorn counted it against ``limit_concurrency`` and answered a probe in that turn with its own 503
(``Service Unavailable``, which the soak's metrics parser read as a sample), and the cap evicted one more
live connection for it. The protocol is driven in-process with transports that record what is done to them;
tests/watch/test_watch_listener.py has the same cap over real sockets."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from reconciler.watch.listener import AcceptEpisodes, ListenerLimits, protocol_class


class Recording(asyncio.Transport):
    """A transport that records whether it was closed; the loss is never reported, as within one loop turn."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_a_connection_the_cap_closes_stops_counting_in_the_same_turn() -> None:
    cap = 4
    limits = ListenerLimits(max_connections=cap)
    protocol = protocol_class(limits, AcceptEpisodes())
    config = uvicorn.Config(_app, http=protocol, limit_concurrency=2 * cap + 1, log_level="warning")
    config.load()
    state = ServerState()
    loop = asyncio.new_event_loop()
    try:
        transports = []
        for _ in range(3 * cap):  # a burst accepted in one turn, headers never finished
            transport = Recording()
            connection = protocol(config=config, server_state=state, app_state={}, _loop=loop)
            connection.connection_made(transport)
            connection.data_received(b"GET / HTTP/1.1\r\nHost: watch\r\n")
            transports.append(transport)
        open_ = [t for t in transports if not t.closed]
        assert len(open_) == cap, "the oldest were evicted, one for each newcomer over the cap"
        assert len(state.connections) == cap, "closed connections still counted before the loop reports them"
        assert transports[-cap:] == open_, "the newest are kept, the slowloris oldest evicted"
    finally:
        for transport in transports:
            transport.close()
        loop.close()
