"""Who a client is without API keys (service.jobs.client_of): its network address, as one holder's addresses
are grouped, and behind a trusted reverse proxy the address the proxy says it serves.

- IPv6: one home or cloud host holds a whole prefix (a /64: 2^64 addresses), so an address alone would let it
  rotate through clients without end; a peer counts as its prefix (setting ipv6_client_prefix). An IPv4-mapped
  address (::ffff:a.b.c.d, a dual-stack socket) is its IPv4 address.
- X-Forwarded-For is read only when the peer is a trusted proxy (setting trusted_proxies): the client is its
  right-most address that is not a trusted proxy, as uvicorn's proxy-headers logic takes it (everything left of
  that the client itself may have written). From any other peer the header is ignored."""
from __future__ import annotations

import functools

import ipaddress
from functools import lru_cache

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_FOR = "x-forwarded-for"
_MAX_NAME = 64  # a forwarded entry that is no address is kept, cut to this (a proxy sent it: never seen in practice)


def parse_networks(spec: str) -> tuple[Network, ...]:
    """Comma-separated addresses or networks (an address is its /32 or /128); ValueError naming a bad one."""
    out = []
    for s in (p.strip() for p in spec.split(",")):
        if not s:
            continue
        try:
            out.append(ipaddress.ip_network(s, strict=False))
        except ValueError:
            raise ValueError(f"trusted_proxies: {s!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
    return tuple(out)


_networks = lru_cache(maxsize=8)(parse_networks)  # (the setting's string, parsed once)


@lru_cache(maxsize=1024)  # (a peer's address is parsed once, not on each of its requests; bounded for rotators)
def ip_of(host: str | None) -> Address | None:
    """The address a peer's host names, as one client: the one definition for identity (`group`), shared memory's
    loopback right (service.client_shm), gRPC's connection shares (service.grpc_conns) and the bind check
    (service.settings). Brackets and an IPv6 zone id are dropped, and an IPv4-mapped IPv6 address (::ffff:a.b.c.d,
    what a dual-stack socket gives an IPv4 peer) is its IPv4 address; None for a name (the Unix socket's peer)."""
    if not host:
        return None
    try:
        a = ipaddress.ip_address(host.strip("[]").partition("%")[0])
    except ValueError:
        return None
    return (a.ipv4_mapped or a) if isinstance(a, ipaddress.IPv6Address) else a


def plain_host(host: str) -> str:
    """`host` as `ip_of` reads it, written out (a name as it is)."""
    a = ip_of(host)
    return host if a is None else str(a)


def _trusted(host: str, nets: tuple[Network, ...]) -> bool:
    a = ip_of(host)
    return a is not None and any(a in n for n in nets)


def forwarded_client(forwarded: str, nets: tuple[Network, ...]) -> str | None:
    """The right-most X-Forwarded-For entry that is not a trusted proxy (all trusted: the left-most, the first
    hop a trusted proxy saw); None for an empty header."""
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for h in reversed(hops):
        if not _trusted(h, nets):
            return h[:_MAX_NAME]
    return hops[0][:_MAX_NAME] if hops else None


@lru_cache(maxsize=1024)  # (an IPv6 peer's group is parsed once, not on each of its requests; bounded for rotators)
def group(host: str, ipv6_prefix: int) -> str:
    """The client an address counts as: an IPv6 address's /ipv6_prefix network, an IPv4-mapped one's IPv4
    address; anything else (IPv4, a name such as the Unix socket's peer) as it is."""
    if ":" not in host:  # (IPv4 and names: no parse on the common path)
        return host
    a = ip_of(host)
    if a is None or a.version == 4:
        return str(a) if a is not None else host
    return str(ipaddress.IPv6Network((a.packed, ipv6_prefix), strict=False))  # (packed: no scope id)


def connection_peer(peer: str, trusted_proxies: str, ipv6_prefix: int) -> str | None:
    """The client a TCP connection from `peer` counts as for its share of connections (service.http_guard.PeerShare):
    as `group`; None for a trusted proxy (its connections are many clients')."""
    if trusted_proxies and _trusted(peer, _networks(trusted_proxies)):
        return None
    return group(peer, ipv6_prefix)


def peer_key_of(settings):
    """`connection_peer` with the server's settings: what a TCP connection's peer counts as (HTTP and gRPC alike)."""
    return functools.partial(connection_peer, trusted_proxies=settings.trusted_proxies,
                             ipv6_prefix=settings.ipv6_client_prefix)


def client_host(peer: str | None, forwarded: str | None, trusted_proxies: str, ipv6_prefix: int) -> str:
    """The client host of a request from `peer` carrying X-Forwarded-For `forwarded` (None: none)."""
    host = peer or ""
    if forwarded and trusted_proxies and peer:
        nets = _networks(trusted_proxies)
        if _trusted(peer, nets):
            host = forwarded_client(forwarded, nets) or host
    return group(host, ipv6_prefix)


def metadata_forwarded(metadata) -> str | None:
    """gRPC call metadata's x-forwarded-for values, joined (a proxy may send more than one)."""
    vals = [v if isinstance(v, str) else v.decode("latin-1") for k, v in metadata or () if k == FORWARDED_FOR]
    return ",".join(vals) or None
