"""The gRPC port near max_connections: room made by shutting idle connections of the peers holding the most.

grpc core takes max_connections connections (grpc.max_allowed_incoming_connections) and closes each one past them
at once ("Socket closed" to the client). A silent connection (TCP open, no HTTP/2 preface) holds its place until
header_timeout_s (grpc's handshake timeout) and is not in channelz before its handshake ends: 3000 of them from 40
loopback addresses (75 each, within peer_connection_share) held all 1000 places and another client's ServerLive was
UNAVAILABLE, for good while they were opened again. So `Crowd` counts the port's connections from this process's
own sockets (/proc/self/fd, as grpc_conns.shut_down finds them): at `high` (max_connections less a tenth) the idle
ones (silent, or in channelz with no call running) of the peers holding the most are shut down, one from the
largest peer at a time, until `low` remain; each peer one was taken from is held back at the listening socket
(service.listen_filter), so the places freed are other clients', and let in again one at a time once the port is
so far from `high` that the peer's own share would not reach it. HTTP's
http_guard.PeerShare._evict_idle does the same a connection at a time; here it is a sample's work (a period apart).
"""
from __future__ import annotations

import heapq
import json

from grpc._cython import cygrpc

from .client_identity import plain_host
from .client_shm import grpc_peer_address
from .listen_filter import on_port, socket_links


class PortPeers:
    """The peer (host, port) of each of this process's TCP connections on local `port` (its listening sockets not),
    each socket looked at once while it lives (by its /proc link): duplicating and asking every descriptor each
    sample cost 18 ms of CPU with 1000 connections open (3000: 65 ms), a few % of a core at a sample a second and
    four times that while peers are held back; reading the links alone costs a sixth of it."""

    def __init__(self, port: int):
        self.port = port
        self.known: dict[str, tuple[str, int] | None] = {}  # link -> its peer (None: not a connection on `port`)

    def __call__(self) -> list[tuple[str, int]]:
        known, out = {}, []
        for fd, link in socket_links():
            peer = self.known[link] if link in self.known else self._peer(fd)
            known[link] = peer  # (the links gone are forgotten)
            if peer is not None:
                out.append(peer)
        self.known = known
        return out

    def forget(self, peers) -> None:
        """Asked again at the next look: `peers`' connections are being shut down (no peer once they are)."""
        peers = set(peers)
        self.known = {link: p for link, p in self.known.items() if p not in peers}

    def _peer(self, fd: int) -> tuple[str, int] | None:
        s = on_port(fd, self.port)
        if s is None:
            return None
        try:
            host, p = s.getpeername()[:2]
            return plain_host(host), p
        except (OSError, ValueError):
            return None  # (a listening socket has no peer)
        finally:
            s.close()  # the duplicate only


def _running(socket_id: int) -> bool:
    """Whether channelz's socket has a call started and not ended (or is gone: not to be touched)."""
    try:
        data = json.loads(cygrpc.channelz_get_socket(socket_id))["socket"].get("data", {})
    except (ValueError, KeyError, TypeError):
        return True
    n = lambda k: int(data.get(k, 0) or 0)  # noqa: E731 - (proto JSON leaves zeros out)
    return n("streamsStarted") > n("streamsSucceeded") + n("streamsFailed")


class Crowd:
    def __init__(self, port: int, max_connections: int, peer_key=None, peer_cap: int | None = None):
        tenth = max(1, max_connections // 10)
        self.room = max_connections - 2 * tenth if peer_cap is None else peer_cap  # what one peer let in may take
        self.port, self.peer_key, self.max = port, peer_key, max_connections
        self.high, self.low = max(1, max_connections - tenth), max(0, max_connections - 2 * tenth)
        self.held: set[str] = set()  # peers whose idle connections were shut down, held back (let in: `plan`)
        self.count = 0  # the port's open connections at the last look, silent ones included
        self.peers = PortPeers(port)
        self.shut = 0  # connections shut down at the last look

    def _key(self, host: str) -> str | None:
        return host if self.peer_key is None else self.peer_key(host)

    def crowded(self) -> bool:
        """Whether the port holds `high` connections now (a look between samples: PortPeers keeps it cheap)."""
        return len(self.peers()) >= self.high

    def plan(self, live: dict[int, str], cut: frozenset = frozenset()) -> list[tuple[str, int]]:
        """The connections to shut down now (their peers added to `held`): `live` is channelz's (socket id -> name);
        `cut` the peer addresses the share step has shut down already (closing, not counted again)."""
        conns = [a for a in self.peers() if a not in cut]
        self.count = len(conns)
        by_key: dict[str, list[tuple[str, int]]] = {}
        for addr in conns:
            key = self._key(addr[0])
            if key is not None:
                by_key.setdefault(key, []).append(addr)
        if self.held and len(conns) + self.room < self.high:
            # one let in a sample, the one holding the fewest, while even its share would leave the port short of
            # `high` (all at once, the 40 peers opened their connections again at once and filled it: a new channel
            # of another client refused until the next sample, 16 of 56)
            self.held.discard(min(self.held, key=lambda k: (len(by_key.get(k, ())), k)))
        self.shut = 0
        if len(conns) < self.high:
            return []
        shaken = {}  # peer address -> channelz socket id: its handshake is done
        for sid, name in live.items():
            addr = grpc_peer_address(name.removeprefix("chttp2 "))
            if addr is not None:
                shaken[(plain_host(addr[0]), addr[1])] = sid
        # every peer past an even share of `low` held back too, not only those shut from (at first 11 of the 40:
        # the others filled the places freed until a sample had held them all, a new channel refused 5 s)
        fair = self.low // (len(by_key) + 1)
        self.held.update(key for key, v in by_key.items() if len(v) > fair)
        out = self._pick(by_key, shaken, len(conns) - self.low)
        self.peers.forget(out)
        self.shut = len(out)
        return out

    def _pick(self, by_key: dict, shaken: dict, n: int) -> list[tuple[str, int]]:
        """Up to `n` idle connections, each from the peer holding the most at that point (its silent ones first)."""
        heap = [(-len(v), key, sorted(v, key=lambda a: a in shaken)) for key, v in by_key.items()]
        heapq.heapify(heap)
        out: list[tuple[str, int]] = []
        while heap and len(out) < n:
            held, key, addrs = heapq.heappop(heap)
            while addrs and addrs[0] in shaken and _running(shaken[addrs[0]]):
                addrs.pop(0)  # (busy: never the one shut down)
            if not addrs:
                continue
            out.append(addrs.pop(0))
            self.held.add(key)
            heapq.heappush(heap, (held + 1, key, addrs))
        return out

