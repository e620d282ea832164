"""service.listen_filter on a real dual-stack listening socket: new connections from the peers named are dropped
(their handshake never completes), everyone else's complete, and the filter comes off again. A loopback connect
completes in the kernel (the backlog), so a refused one is told from a slow one by a timeout alone."""
from __future__ import annotations

import socket

import pytest

from service.listen_filter import MAX_INSNS, fitting, listening, program, valid_peer

# a held-back connect is told from a slow one by a timeout alone: run alone, not beside another xdist worker
pytestmark = pytest.mark.serial
HELD = 2.0  # seconds a connect from a held-back peer is given (it never completes)


@pytest.fixture
def listener():
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", 0))
    s.listen(64)
    yield s
    s.close()


def _connects(port: int, source: str, family=socket.AF_INET, to: str = "127.0.0.1") -> bool:
    s = socket.socket(family)
    s.settimeout(HELD)
    try:
        s.bind((source, 0))
        s.connect((to, port))
        return True
    except (socket.timeout, TimeoutError):
        return False
    finally:
        s.close()


def test_peers_named_are_held_back_and_let_in_again(listener):
    port = listener.getsockname()[1]
    gate = listening(port)
    assert gate is not None and len(gate.socks) == 1  # (this one socket, whatever its descriptors)
    try:
        gate.drop(["127.0.0.2", "10.0.0.0/8"])
        assert not _connects(port, "127.0.0.2")
        assert _connects(port, "127.0.0.1") and _connects(port, "127.0.0.3")
        gate.drop([])
        assert _connects(port, "127.0.0.2")
    finally:
        gate.close()


def test_an_ipv6_prefix_is_held_back(listener):
    try:
        socket.create_connection(("::1", listener.getsockname()[1]), timeout=HELD).close()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    port = listener.getsockname()[1]
    gate = listening(port)
    try:
        gate.drop(["::/64"])  # (::1's /64, as service.client_identity.group names it)
        assert not _connects(port, "::1", socket.AF_INET6, "::1")
        assert _connects(port, "127.0.0.2")
    finally:
        gate.drop([])
        gate.close()


def test_the_program_and_what_it_can_match():
    assert len(program(["127.0.0.2"])) % 8 == 0
    # as many peers as fit MAX_INSNS, of every kind (the longest parts: an IPv4 network, an IPv6 one of odd length)
    many = [f"10.{i // 256}.{i % 256}.0/24" for i in range(2000)] + [f"2001:db8:{i:x}::/63" for i in range(2000)]
    kept = fitting(many)
    assert 100 < len(kept) < len(many) and len(program(list(kept))) // 8 <= MAX_INSNS
    assert len(fitting([f"10.0.{i // 250}.{i % 250}" for i in range(600)])) == 600  # (IPv4 addresses: 3 each)


def test_more_than_48_peers_are_held_back(listener):
    """Round 28: the filter held 48 peers at most (an 8-bit conditional jump past the IPv4 part), so a flood from
    more addresses had its 49th and later let in at once; now as many as MAX_INSNS holds (600 here, and an IPv6
    prefix past them all, so the jump to the IPv6 part is a long one)."""
    port = listener.getsockname()[1]
    peers = [f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(600)]
    gate = listening(port)
    try:
        gate.drop(peers + ["2001:db8::/64"])
        assert len(gate.peers) == 601
        for p in (peers[0], peers[299], peers[-1], max(peers)):
            assert not _connects(port, p), p
        assert _connects(port, "127.0.0.1") and _connects(port, "127.0.3.200")
    finally:
        gate.drop([])
        gate.close()
    assert valid_peer("127.0.0.1") and valid_peer("2001:db8::/64") and not valid_peer("unix")
