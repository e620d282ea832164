"""The gRPC port's connections as metrics and log lines.

grpc.aio tells Python nothing of its connections, but grpc core's channelz (on by default) lists a server's
open sockets. A `ConnWatch` samples that list every `period_s`: `gradserve_grpc_connections` is how many are
open, and a socket gone since the last sample is a closed connection, counted in
`gradserve_grpc_connections_closed_total` by `reason`: "age" when it had lived as long as
grpc_max_connection_age_s (the server asks it to go away then, and closes it after the grace; grpc jitters the
age by up to -10%, and a socket is first seen up to one period after it opened), else "other" (the peer
closed it, or it broke). Each age close is logged at INFO.

Not seen here: streams refused past grpc_max_streams (RST_STREAM REFUSED_STREAM; with grpc_reset_protection a
call counts until the server has freed it). grpc core refuses them in its transport and channelz counts no
stream for them; the SDK sends such a call again while its timeout lasts (the call never started:
gradserve._transport.grpc.refused_pause)."""
from __future__ import annotations

import asyncio
import json
import logging
import time

from grpc._cython import cygrpc  # channelz's C-core entry points (what grpcio-channelz serves over gRPC)

log = logging.getLogger("gradserve.grpc")
PAGE = 100  # sockets per channelz call


def _server_ids(port: int) -> list[int]:
    """The channelz ids of this process's gRPC servers listening on `port`."""
    out, start = [], 0
    while True:
        page = json.loads(cygrpc.channelz_get_servers(start))
        for srv in page.get("server", ()):
            sid = int(srv["ref"]["serverId"])
            start = max(start, sid + 1)
            if any(s.get("name", "").endswith(f":{port}") for s in srv.get("listenSocket", ())):
                out.append(sid)
        if page.get("end", True) or not page.get("server"):
            return out


def open_sockets(server_id: int) -> dict[int, str]:
    """socket id -> peer name ("chttp2 ipv4:127.0.0.1:5000") of a server's open connections."""
    out, start = {}, 0
    while True:
        page = json.loads(cygrpc.channelz_get_server_sockets(server_id, start, PAGE))
        refs = page.get("socketRef", ())
        for r in refs:
            out[int(r["socketId"])] = r.get("name", "")
        if page.get("end", True) or not refs:
            return out
        start = max(out) + 1


class ConnWatch:
    def __init__(self, metrics, port: int, age_s: float, period_s: float = 1.0):
        self.metrics, self.port, self.age_s, self.period_s = metrics, port, age_s, period_s
        self.seen: dict[int, tuple[float, str]] = {}  # socket id -> (first seen, peer)
        self.ids: list[int] = []

    def sample(self) -> None:
        now = time.monotonic()
        if not self.ids:
            self.ids = _server_ids(self.port)
        live: dict[int, str] = {}
        for sid in self.ids:
            live.update(open_sockets(sid))
        for k in self.seen.keys() - live.keys():
            first, peer = self.seen.pop(k)
            lived = now - first + self.period_s  # (first seen up to a period after it opened)
            aged = self.age_s > 0 and lived >= 0.9 * self.age_s
            self.metrics.grpc_closed.labels("age" if aged else "other").inc()
            if aged:
                log.info("gRPC connection %s closed after about %.0f s (grpc_max_connection_age_s=%g)",
                         peer.removeprefix("chttp2 "), lived, self.age_s)
        for k, peer in live.items():
            self.seen.setdefault(k, (now, peer))
        self.metrics.grpc_connections.set(len(live))

    async def run(self) -> None:
        while True:
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - metrics only: never take the server down over them
                log.exception("gRPC connection sampling failed: gradserve_grpc_connections* stop here")
                return
            await asyncio.sleep(self.period_s)
