"""A job's client (service.jobs.client_of: what the worker pools' fair share, the graph caches' per-client share
and the derivation share count by) is its API key, not the header's spelling: the auth check reads
`Authorization: <scheme> <token>` with the scheme in any case and the token stripped, so one key could be sent as
"Bearer k", "bearer k", "BEARER   k", ... Each spelling was a client of its own (the digest was of the whole
header): one key holder could rotate without end through identities the server accepts and take every share."""
from types import SimpleNamespace

from service.api_keys import key_ok
from service.jobs import client_of

KEYS = ["k-one", "k-two"]
CORE = SimpleNamespace(settings=SimpleNamespace(api_key_list=KEYS))
SPELLINGS = ["Bearer k-one", "bearer k-one", "BEARER k-one", "Bearer    k-one", "bEaReR \t k-one \t"]


def test_every_spelling_the_auth_check_accepts_is_one_client():
    assert all(key_ok(s, [k.encode() for k in KEYS]) for s in SPELLINGS)  # the premise: each one is let in
    assert len({client_of(CORE, s, "10.0.0.1") for s in SPELLINGS}) == 1


def test_two_keys_are_two_clients_and_no_key_is_the_peer_host():
    assert client_of(CORE, "Bearer k-one", "h") != client_of(CORE, "Bearer k-two", "h")
    assert client_of(CORE, None, "10.0.0.1") == "host:10.0.0.1"
    open_core = SimpleNamespace(settings=SimpleNamespace(api_key_list=[]))
    assert client_of(open_core, "Bearer anything", "10.0.0.2") == "host:10.0.0.2"  # (no keys: nothing is checked)
