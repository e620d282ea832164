"""A job's client (service.jobs.client_of: what the worker pools' fair share, the graph caches' per-client share
and the derivation share count by) is its API key, not the header's spelling: the auth check reads
`Authorization: <scheme> <token>` with the scheme in any case and the token stripped, so one key could be sent as
"Bearer k", "bearer k", "BEARER   k", ... Each spelling was a client of its own (the digest was of the whole
header): one key holder could rotate without end through identities the server accepts and take every share.

Without keys the client is its address (service.client_identity): an IPv6 peer by its /64 (one host holds all of
it), an IPv4-mapped one as its IPv4 address, and behind a trusted proxy the X-Forwarded-For client. The expected
values are written out by hand from RFC 4291 (prefixes) and RFC 7239 / uvicorn's reading of the header."""
from types import SimpleNamespace

import pytest
from pydantic import ValidationError
from starlette.requests import Request

from service.api_keys import key_ok
from service.client_identity import connection_peer, metadata_forwarded
from service.http_app import job_headers
from service import jobs
from service.jobs import client_of, request_client
from service.settings import Settings

KEYS = ["k-one", "k-two"]


def _core(keys=(), trusted="", prefix=64):
    return SimpleNamespace(settings=SimpleNamespace(api_keys=",".join(keys), api_key_list=list(keys),
                                                    trusted_proxies=trusted, ipv6_client_prefix=prefix))


CORE = _core(KEYS)
SPELLINGS = ["Bearer k-one", "bearer k-one", "BEARER k-one", "Bearer    k-one", "bEaReR \t k-one \t"]


def test_every_spelling_the_auth_check_accepts_is_one_client():
    assert all(key_ok(s, [k.encode() for k in KEYS]) for s in SPELLINGS)  # the premise: each one is let in
    assert len({client_of(CORE, s, "10.0.0.1") for s in SPELLINGS}) == 1


def test_two_keys_are_two_clients_and_no_key_is_the_peer_host():
    assert client_of(CORE, "Bearer k-one", "h") != client_of(CORE, "Bearer k-two", "h")
    assert client_of(CORE, None, "10.0.0.1") == "host:10.0.0.1"
    open_core = _core()
    assert client_of(open_core, "Bearer anything", "10.0.0.2") == "host:10.0.0.2"  # (no keys: nothing is checked)


def test_the_key_clients_memo_follows_the_keys_setting():
    """client_of keeps each Authorization header's client (jobs._KEY_CLIENTS): a changed key list answers anew."""
    core = Settings(api_keys="k-one,k-two")
    core = SimpleNamespace(settings=core)
    one = client_of(core, "Bearer k-one", "10.0.0.1")
    assert one.startswith("key:") and client_of(core, "Bearer k-one", "10.0.0.1") == one
    core.settings.api_keys = ""  # keys off: the same header is its peer host now, not the key's client
    assert client_of(core, "Bearer k-one", "10.0.0.1") == "host:10.0.0.1"
    core.settings.api_keys = "k-one"  # keys on again
    assert client_of(core, "Bearer k-one", "10.0.0.1") == one
    core.settings.api_keys = "k-one,k-two"
    assert client_of(core, "Bearer k-two", "10.0.0.1") not in (one, "host:10.0.0.1")  # another header, another key
    # every header kept carries a key of the setting it was kept under
    assert jobs._KEY_CLIENTS and all(key_ok(h, [k.encode() for k in keys.split(",")]) for h, keys in jobs._KEY_CLIENTS)
    assert client_of(core, "Bearer not-a-key", "10.0.0.1").startswith("key:")  # (as before: its digest)
    assert all(h != "Bearer not-a-key" for h, _ in jobs._KEY_CLIENTS)  # (no check lets it in: not kept)


def test_an_ipv6_host_is_its_64_prefix_and_a_mapped_ipv4_address_its_ipv4_one():
    core = _core()
    a = client_of(core, None, "2001:db8:1:2::1")
    assert a == client_of(core, None, "2001:db8:1:2:ffff:ffff:ffff:ffff") == "host:2001:db8:1:2::/64"
    assert client_of(core, None, "2001:db8:1:3::1") != a  # (the next /64: another holder)
    assert client_of(core, None, "::ffff:192.0.2.7") == client_of(core, None, "192.0.2.7") == "host:192.0.2.7"
    assert client_of(core, None, "fe80::1%eth0") == "host:fe80::/64"  # (a scope id names no other holder)
    assert client_of(_core(prefix=48), None, "2001:db8:1:2::1") == "host:2001:db8:1::/48"
    assert client_of(_core(prefix=128), None, "2001:db8:1:2::1") != client_of(_core(prefix=128), None,
                                                                              "2001:db8:1:2::2")
    assert client_of(core, None, "unix") == "host:unix" and client_of(core, None, None) == "host:"


def test_x_forwarded_for_counts_only_from_a_trusted_proxy_and_only_its_right_most_untrusted_hop():
    trusted = _core(trusted="10.0.0.0/8,2001:db8:ff::1")
    # from a peer that is no trusted proxy (or with none trusted): the header is the client's own words, ignored
    assert client_of(trusted, None, "192.0.2.9", "198.51.100.1") == "host:192.0.2.9"
    assert client_of(_core(), None, "10.0.0.5", "198.51.100.1") == "host:10.0.0.5"
    # from a trusted proxy: the hop it appended; what the client wrote to its left cannot choose the client
    assert client_of(trusted, None, "10.0.0.5", "203.0.113.66, 198.51.100.1") == "host:198.51.100.1"
    # a chain of trusted proxies (10.1.2.3 passed it on to 10.0.0.5): the first untrusted hop from the right
    assert client_of(trusted, None, "10.0.0.5", "1.1.1.1,198.51.100.1, 10.1.2.3") == "host:198.51.100.1"
    assert client_of(trusted, None, "2001:db8:ff::1", "2001:db8:5:6::7") == "host:2001:db8:5:6::/64"
    assert client_of(trusted, None, "::ffff:10.0.0.5", "198.51.100.1") == "host:198.51.100.1"
    # every hop trusted: the left-most (the first one a trusted proxy saw); an empty header: the peer
    assert client_of(trusted, None, "10.0.0.5", "10.9.9.9, 10.1.1.1") == "host:10.9.9.9"
    assert client_of(trusted, None, "10.0.0.5", " , ") == "host:10.0.0.5"
    # with API keys the key still decides, whatever the header says
    keyed = _core(KEYS, trusted="10.0.0.0/8")
    assert client_of(keyed, "Bearer k-one", "10.0.0.5", "1.2.3.4") == client_of(keyed, "Bearer k-one", "10.0.0.6")


def test_every_protocol_reads_every_forwarded_line():
    """A proxy may send the client's own X-Forwarded-For line and add one of its own after it: taking only the
    first line would let the client choose."""
    raw = [(b"x-forwarded-for", b"6.6.6.6"), (b"authorization", b"Bearer k"), (b"x-forwarded-for", b"198.51.100.1")]
    assert job_headers(raw)[b"x-forwarded-for"] == "6.6.6.6,198.51.100.1"  # (HTTP /v1, lean and ASGI)
    request = Request({"type": "http", "headers": raw, "client": ("10.0.0.5", 4000)})  # (OIP HTTP, UM-Bridge)
    assert request_client(_core(trusted="10.0.0.5"), request) == "host:198.51.100.1"
    md = (("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", b"198.51.100.1"))  # (gRPC, OIP gRPC)
    assert metadata_forwarded(md) == "6.6.6.6,198.51.100.1" and metadata_forwarded(()) is None


def test_the_settings_refuse_a_trusted_proxy_that_is_no_address():
    assert Settings(trusted_proxies=" 10.0.0.1, fd00::/8 ").trusted_proxies == "10.0.0.1/32,fd00::/8"
    with pytest.raises(ValidationError, match="'proxy.example' is not an IP address"):
        Settings(trusted_proxies="10.0.0.1,proxy.example")
    with pytest.raises(ValidationError):
        Settings(ipv6_client_prefix=0)


def test_a_connections_peer_is_its_client_group_and_a_trusted_proxy_is_not_counted():
    """service.http_guard.PeerShare counts connections by connection_peer: a trusted proxy's are many clients'
    (None: not counted), an IPv6 peer counts as its /ipv6_client_prefix network, IPv4 as itself."""
    assert connection_peer("10.0.0.5", "10.0.0.0/8", 64) is None
    assert connection_peer("127.0.0.1", "10.0.0.0/8", 64) == "127.0.0.1"
    assert connection_peer("2001:db8::1", "", 64) == connection_peer("2001:db8::2:3", "", 64) == "2001:db8::/64"
    assert connection_peer("2001:db8::1", "", 128) != connection_peer("2001:db8::2", "", 128)


def test_one_reading_of_a_real_dual_stack_sockets_peers():
    """A real dual-stack listener (IPv6, V6ONLY off) accepting from 127.0.0.1 and ::1: the peer it reports
    (::ffff:127.0.0.1 for the IPv4 one) is read alike, through client_identity.ip_of, by the client's identity, its
    loopback right to shared memory, gRPC's per-peer connection share and the bind check."""
    import socket

    from service.client_identity import group, ip_of
    from service.client_shm import is_loopback_peer
    from service.grpc_conns import _peer
    from service.settings import is_loopback

    with socket.socket(socket.AF_INET6) as lsn:
        lsn.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        lsn.bind(("::", 0))
        lsn.listen(2)
        port = lsn.getsockname()[1]
        seen = {}
        for src in ("127.0.0.1", "::1"):
            with socket.create_connection((src, port)) as cl:
                conn, peer = lsn.accept()
                with conn:
                    seen[src] = peer[0]
                    assert conn.getpeername()[0] == peer[0] and cl.getsockname()[1] == peer[1]
    assert seen == {"127.0.0.1": "::ffff:127.0.0.1", "::1": "::1"}, seen
    mapped = seen["127.0.0.1"]
    assert str(ip_of(mapped)) == "127.0.0.1" and group(mapped, 64) == group("127.0.0.1", 64) == "127.0.0.1"
    assert connection_peer(mapped, "", 64) == "127.0.0.1"
    assert _peer(mapped, 5000) == ("127.0.0.1", 5000) and _peer("[::1]", 5000) == ("::1", 5000)
    assert is_loopback_peer(mapped) and is_loopback_peer("::1") and is_loopback_peer("[::1]")
    assert is_loopback(mapped) and is_loopback("[::1]") and not is_loopback("::ffff:10.0.0.1")
    assert group("::1", 64) == group("[::1]", 64) == group("::1%lo", 64) == "::/64"
