"""The gRPC port's connections as metrics and log lines.

grpc.aio tells Python nothing of its connections, but grpc core's channelz (on by default) lists a server's
open sockets. A `ConnWatch` samples that list every `period_s`: `gradserve_grpc_connections` is how many are
open, and a socket gone since the last sample is a closed connection, counted in
`gradserve_grpc_connections_closed_total` by `reason`: "age" when it had lived as long as
grpc_max_connection_age_s (the server asks it to go away then, and closes it after the grace; grpc jitters the
age by up to -10%, and a socket is first seen up to one period after it opened), else "other" (the peer
closed it, or it broke). Each age close is logged at INFO.

One peer's share (peer_connection_share, as HTTP's service.http_guard.PeerShare): grpc core accepts every
connection itself, its only cap (grpc.max_allowed_incoming_connections) server-wide, so one peer's idle connections
(the HTTP/2 preface, then nothing: they live grpc_max_connection_age_s) held every place and no other client could
connect. Each sample counts the open connections by peer (`peer_key`): a peer holding `peer_cap` has its new ones
dropped at the listening socket (service.listen_filter) until it holds less, and its newest past `peer_cap` are
shut down through this process's own socket of each (found by its addresses in /proc/self/fd: grpc exposes no way
to close one); grpc core sees them end and frees their places, counted as reason "share" and logged.

Not seen here: streams refused past grpc_max_streams (RST_STREAM REFUSED_STREAM; with grpc_reset_protection a
call counts until the server has freed it). grpc core refuses them in its transport and channelz counts no
stream for them; the SDK sends such a call again while its timeout lasts (the call never started:
gradserve._transport.grpc.refused_pause)."""
from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections import defaultdict

from grpc._cython import cygrpc  # channelz's C-core entry points (what grpcio-channelz serves over gRPC)

from .client_identity import plain_host
from .client_shm import grpc_peer_address
from .grpc_crowd import Crowd
from .listen_filter import ListenFilter, listening, port_sockets, valid_peer

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




def shut_down(peers: set[tuple[str, int]], port: int) -> int:
    """Shut down this process's TCP connections on local `port` whose peer (host, port) is in `peers` (through a
    duplicate of each descriptor: the owner, grpc core, sees its connection end and closes it); how many."""
    done = 0
    for s, _ in port_sockets(port):
        try:
            if _peer(*s.getpeername()[:2]) in peers:
                s.shutdown(socket.SHUT_RDWR)
                done += 1
        except (OSError, ValueError):
            pass  # (a listening socket has no peer)
        finally:
            s.close()  # the duplicate only
    return done


def _peer(host: str, port: int) -> tuple[str, int]:
    """A connection's peer as one client's address (client_identity.ip_of): grpc's dual-stack sockets give IPv4
    peers as ::ffff:a.b.c.d, which channelz names as IPv4."""
    return plain_host(host), port


def _live_peer(name: str) -> tuple[str, int] | None:
    """The peer (host, port) of a channelz socket's name, as grpc_crowd.PortPeers gives it."""
    addr = grpc_peer_address(name.removeprefix("chttp2 "))
    return None if addr is None else _peer(*addr)


LOOK_S = 0.25  # the crowd's look at the port's count between samples (grpc_crowd.Crowd.crowded)
RELOOK_S = 0.05  # the next look after connections were shut down to make room


class ConnWatch:
    def __init__(self, metrics, port: int, age_s: float, period_s: float = 1.0, peer_cap: int | None = None,
                 peer_key=None, max_connections: int | None = None):
        self.metrics, self.port, self.age_s, self.period_s = metrics, port, age_s, period_s
        self.peer_cap, self.peer_key = peer_cap, peer_key
        self.seen: dict[int, tuple[float, str]] = {}  # socket id -> (first seen, peer)
        self.ids: list[int] = []
        self.cut: set[int] = set()  # sockets shut down past their peer's share, not yet gone
        self.crowd = None if max_connections is None else Crowd(port, max_connections, peer_key, peer_cap)
        self.held: set[str] = set()  # peers held back past their share (`share`)
        self.gate: ListenFilter | None | bool = None  # the port's listening socket's filter (False: none to be had)

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
            share = k in self.cut
            self.cut.discard(k)
            self.metrics.grpc_closed.labels("share" if share else "age" if aged else "other").inc()
            if aged:
                log.info("gRPC connection %s closed after about %.0f s (grpc_max_connection_age_s=%g)",
                         peer.removeprefix("chttp2 "), lived, self.age_s)
        for k, peer in live.items():
            self.seen.setdefault(k, (now, peer))
        if self.peer_cap is not None and (len(live) >= self.peer_cap or self.gate and self.gate.peers):
            self.share(live)
        self.metrics.grpc_connections.set(len(live) if self.crowd is None else max(len(live), self.make_room(live)))

    def make_room(self, live: dict[int, str]) -> int:
        """Near max_connections, idle connections of the peers holding the most shut down (service.grpc_crowd), their
        peers held back first; the port's open connections, silent ones (not yet in channelz) included."""
        cut = frozenset(a for k in self.cut if k in live and (a := _live_peer(live[k])) is not None)
        out = self.crowd.plan(live, cut)
        if out or self.crowd.held or self.gate and self.gate.peers:
            self.hold_back(self.held | self.crowd.held)
        if out:
            done = shut_down(set(out), self.port)
            self.metrics.grpc_closed.labels("crowd").inc(done)
            log.info("gRPC port at %d connections (max_connections %d): %d idle ones of %d peers holding the most "
                     "shut down, those peers held back", self.crowd.count,
                     self.crowd.max, done, len(self.crowd.held))
        return self.crowd.count

    def share(self, live: dict[int, str]) -> None:
        """Shut down each peer's newest connections past peer_cap (grpc numbers its sockets as their handshakes end:
        about the order they opened), and drop new ones from each peer holding its share until it holds less."""
        by_peer: dict[str, list[tuple[int, tuple[str, int]]]] = defaultdict(list)
        for k, name in live.items():
            addr = grpc_peer_address(name.removeprefix("chttp2 "))
            addr = None if addr is None else _peer(*addr)
            key = None if addr is None else addr[0] if self.peer_key is None else self.peer_key(addr[0])
            if key is not None and k not in self.cut:
                by_peer[key].append((k, addr))
        # held back first: the places the shut-down connections free are not the same peer's to take back
        self.held = {key for key, conns in by_peer.items() if len(conns) >= self.peer_cap}
        self.hold_back(self.held | (self.crowd.held if self.crowd is not None else set()))
        for key, conns in by_peer.items():
            if len(conns) > self.peer_cap:
                over = sorted(conns)[self.peer_cap:]
                shut = shut_down({addr for _, addr in over}, self.port)
                self.cut.update(k for k, _ in over)
                log.info("peer %s holds %d gRPC connections, its share of max_connections (peer_connection_share "
                         "%d): its %d newest shut down", key, len(conns), self.peer_cap, shut)

    def hold_back(self, peers: set[str]) -> None:
        """New connections from `peers` dropped at the listening socket (service.listen_filter), the others let in:
        shutting a peer's connections down frees places that a peer opening them again at once would take back
        before anyone else could (a new channel of another peer was refused all the while)."""
        if self.gate is None:
            self.gate = (listening(self.port) if peers else None) or (False if peers else None)
            if self.gate is False:
                log.warning("no listening socket of port %d found to hold back peers past their share", self.port)
        if not self.gate:
            return
        was = set(self.gate.peers)
        try:
            self.gate.drop(p for p in peers if valid_peer(p))
        except OSError as e:
            log.warning("holding back peers past their share on the gRPC port failed (%s): only shut down", e)
            self.gate = False
            return
        for p in sorted(set(self.gate.peers) - was):
            log.info("peer %s holds its share of gRPC connections: its new ones are held back", p)
        for p in sorted(was - set(self.gate.peers)):
            log.info("peer %s holds less than its share of gRPC connections again: its new ones are let in", p)

    async def run(self) -> None:
        last = -float("inf")
        while True:
            try:
                now = time.monotonic()
                if now - last >= self.period_s or self.crowd is not None and (self.crowd.held or self.crowd.crowded()):
                    self.sample()
                    last = now
            except Exception:  # noqa: BLE001 - metrics only: never take the server down over them
                log.exception("gRPC connection sampling failed: gradserve_grpc_connections* stop here")
                return
            # the crowd's count looked at every LOOK_S between samples (a flood's first second filled the port
            # before the next sample saw it: 2 of 59 new channels refused), and a sample each look while peers are
            # held back (a peer let in again may fill the port at once); right after connections were shut down,
            # sooner: the places freed are taken by the flood's peers not yet seen (a few a look: 40 took 3 s)
            await asyncio.sleep(self.period_s if self.crowd is None else RELOOK_S if self.crowd.shut else
                                min(self.period_s, LOOK_S))
