"""New TCP connections from chosen peers dropped at a listening socket the server does not accept from itself.

grpc core accepts the gRPC port's connections in C: Python never sees one before it holds a place. To keep a peer
that already holds its share from taking more (service.grpc_conns), its packets to the listening socket (SYNs and
handshake ACKs) are dropped by a classic BPF socket filter (SO_ATTACH_FILTER: no privilege needed), so its new
connections never complete, while its open ones (sockets of their own) go on. Linux only; elsewhere, and if the
kernel refuses, nothing is filtered (the caller logs it).

A peer is an address or a network (service.client_identity.group: "192.0.2.1", "2001:db8::/64").
"""
from __future__ import annotations

import ctypes
import ipaddress
import os
import socket
import struct

SO_ATTACH_FILTER, SO_DETACH_FILTER = 26, 27
_NET = -0x100000 & 0xFFFFFFFF  # SKF_NET_OFF: offsets from the IP header (a TCP socket's filter starts at TCP's)
_LDB, _LDW, _AND, _JEQ, _RET = 0x30, 0x20, 0x54, 0x15, 0x06
ACCEPT, DROP = 0xFFFFFFFF, 0
MAX_PEERS = 48  # (a conditional jump's 8-bit offset must reach the IPv6 part past the IPv4 peers' 4 each)


def _tests(net) -> list[tuple[int, int, int]]:
    """(offset in the IP header, mask, value) per 32-bit word of the source address the network fixes."""
    raw, bits, out = net.network_address.packed, net.prefixlen, []
    first = 12 if net.version == 4 else 8  # (the source address's offset in an IPv4 / IPv6 header)
    for j in range(len(raw) // 4):
        n = min(32, bits - 32 * j)
        if n <= 0:
            break
        mask = (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF
        out.append((first + 4 * j, mask, int.from_bytes(raw[4 * j:4 * j + 4], "big") & mask))
    return out


def valid_peer(peer: str) -> bool:
    """Whether `peer` is an address or a network this filter can match (not a name)."""
    try:
        ipaddress.ip_network(peer, strict=False)
    except ValueError:
        return False
    return True


def program(peers: list[str]) -> bytes:
    """The filter (struct sock_filter[]): drop packets whose source is in one of `peers`, accept the rest."""
    nets = [ipaddress.ip_network(p, strict=False) for p in peers]
    code: list = [(_LDB, _NET, None, None), (_AND, 0xF0, None, None), (_JEQ, 0x40, None, "v6")]
    for version in (4, 6):
        if version == 6:
            code.append("v6")
        for i, net in enumerate(n for n in nets if n.version == version):
            nxt = f"next{version}.{i}"
            for off, mask, value in _tests(net):
                code.append((_LDW, _NET + off, None, None))
                if mask != 0xFFFFFFFF:
                    code.append((_AND, mask, None, None))
                code.append((_JEQ, value, None, nxt))
            code += [(_RET, DROP, None, None), nxt]
        code.append((_RET, ACCEPT, None, None))
    labels, n = {}, 0
    for c in code:
        if isinstance(c, str):
            labels[c] = n
        else:
            n += 1
    out = []
    for c in (c for c in code if not isinstance(c, str)):
        op, k, jt, jf = c
        here = len(out) + 1  # (a jump counts from the next instruction)
        jumps = [0 if j is None else labels[j] - here for j in (jt, jf)]
        out.append(struct.pack("HBBI", op, *jumps, k))
    return b"".join(out)


class ListenFilter:
    """The filter of a port's listening sockets (duplicates of their descriptors: a filter is the socket's own)."""

    def __init__(self, socks: list[socket.socket]):
        self.socks = socks
        self.peers: tuple[str, ...] = ()

    def drop(self, peers) -> None:
        """Drop new connections from `peers` (at most MAX_PEERS: the first; none: detach). OSError: refused."""
        peers = tuple(sorted(peers))[:MAX_PEERS]
        if peers == self.peers:
            return
        for s in self.socks:
            if not peers:
                s.setsockopt(socket.SOL_SOCKET, SO_DETACH_FILTER, 0)
            else:
                prog = program(list(peers))
                buf = ctypes.create_string_buffer(prog, len(prog))
                fprog = struct.pack("HL", len(prog) // 8, ctypes.addressof(buf))
                s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)  # (the kernel copies the program)
        self.peers = peers

    def close(self) -> None:
        for s in self.socks:
            s.close()


def port_sockets(port: int):
    """This process's TCP sockets on local `port`, each once: (a duplicate of one of its descriptors, its
    /proc link). The caller closes each duplicate (closing one leaves the socket to its owner)."""
    seen = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{name}")
            if not link.startswith("socket:") or link in seen:  # (one socket may have several descriptors)
                continue
            s = socket.socket(fileno=os.dup(int(name)))
        except (OSError, ValueError):
            continue  # (gone meanwhile, or the listing's own descriptor)
        try:
            if s.family in (socket.AF_INET, socket.AF_INET6) and s.type == socket.SOCK_STREAM \
                    and s.getsockname()[1] == port:
                seen.add(link)
                yield s, link
                continue
        except OSError:
            pass
        s.close()


def listening(port: int) -> ListenFilter | None:
    """The filter of this process's TCP listening sockets on `port` (None: none found)."""
    found = []
    for s, _ in port_sockets(port):
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            found.append(s)
        else:
            s.close()
    return ListenFilter(found) if found else None
