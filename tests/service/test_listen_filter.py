"""service.listen_filter on a real dual-stack listening socket: new connections from the peers named are dropped
(their handshake never completes), everyone else's complete, and the filter comes off again. A loopback connect
completes in the kernel (the backlog), so a refused one is told from a slow one by a timeout alone."""
from __future__ import annotations

import socket

import pytest

from service.listen_filter import MAX_PEERS, listening, program, valid_peer

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
    # the most peers a filter holds, each an IPv4 network (the longest IPv4 part): its jumps still fit
    assert len(program([f"10.{i}.0.0/16" for i in range(MAX_PEERS)] + ["2001:db8::/64"])) % 8 == 0
    assert valid_peer("127.0.0.1") and valid_peer("2001:db8::/64") and not valid_peer("unix")
