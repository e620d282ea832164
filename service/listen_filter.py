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
_LDB, _LDW, _AND, _JEQ, _JA, _RET = 0x30, 0x20, 0x54, 0x15, 0x05, 0x06
ACCEPT, DROP = 0xFFFFFFFF, 0
# the most instructions a filter has: 16 KiB, within optmem_max (20 KiB on kernels before 6.5) and BPF_MAXINSNS
# (4096); 680 IPv4 addresses or 400 IPv6 /64s. Once at 48 peers (the IPv4 / IPv6 branch a conditional jump, whose
# 8-bit offset had to reach past the IPv4 peers' 4 instructions each): a flood from more addresses was only shut
# down, its 49th and later addresses free to open their connections again at once.
MAX_INSNS = 2048


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
    # (IPv4 falls through; the jump to the IPv6 part is unconditional, its offset 32 bits: any number of peers)
    code: list = [(_LDB, _NET, None, None), (_AND, 0xF0, None, None), (_JEQ, 0x40, "v4", None), (_JA, "v6", None, None),
                  "v4"]
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
        if op == _JA:
            k = labels[k] - here
        jumps = [0 if j is None else labels[j] - here for j in (jt, jf)]
        out.append(struct.pack("HBBI", op, *jumps, k))
    return b"".join(out)


def fitting(peers) -> tuple[str, ...]:
    """The first of `peers` (sorted) whose filter stays within MAX_INSNS instructions."""
    out, n = [], 6  # (the version test and the two accepts)
    for p in sorted(peers):
        net = ipaddress.ip_network(p, strict=False)
        n += 1 + sum(2 + (mask != 0xFFFFFFFF) for _, mask, _ in _tests(net))  # (each word's tests, then a drop)
        if n > MAX_INSNS:
            break
        out.append(p)
    return tuple(out)


class ListenFilter:
    """The filter of a port's listening sockets (duplicates of their descriptors: a filter is the socket's own)."""

    def __init__(self, socks: list[socket.socket]):
        self.socks = socks
        self.peers: tuple[str, ...] = ()

    def drop(self, peers) -> None:
        """Drop new connections from `peers` (as many as `fitting` keeps; none: detach). OSError: refused."""
        peers = fitting(peers)
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


def socket_links():
    """(descriptor, its /proc link "socket:[inode]") of each of this process's sockets, each socket once (one may
    have several descriptors). The link names the socket while it lives: what was learned of it may be kept."""
    seen = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # (gone meanwhile)
        if link.startswith("socket:") and link not in seen:
            seen.add(link)
            yield int(name), link


def port_sockets(port: int):
    """This process's TCP sockets on local `port`, each once: (a duplicate of one of its descriptors, its
    /proc link). The caller closes each duplicate (closing one leaves the socket to its owner)."""
    for fd, link in socket_links():
        s = on_port(fd, port)
        if s is not None:
            yield s, link


def on_port(fd: int, port: int) -> socket.socket | None:
    """A duplicate of descriptor `fd` if it is a TCP socket on local `port` (the caller closes it), else None."""
    try:
        s = socket.socket(fileno=os.dup(fd))
    except OSError:
        return None  # (gone meanwhile, or the listing's own descriptor)
    try:
        if s.family in (socket.AF_INET, socket.AF_INET6) and s.type == socket.SOCK_STREAM \
                and s.getsockname()[1] == port:
            return s
    except OSError:
        pass
    s.close()
    return None


def listening(port: int) -> ListenFilter | None:
    """The filter of this process's TCP listening sockets on `port` (None: none found)."""
    found = []
    for s, _ in port_sockets(port):
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            found.append(s)
        else:
            s.close()
    return ListenFilter(found) if found else None
