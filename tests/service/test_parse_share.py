"""service.parse_share: a client's parse seconds are owed back at `share` seconds a second; past `burst_s`
owed, its next large body is refused (429 naming parse_share, the Retry-After that pays the excess back), other
clients untouched (a clock of our own: no sleeps)."""
from __future__ import annotations

import pytest

from service.errors import Overloaded
from service.parse_share import ParseShare


def test_a_client_past_its_share_is_refused_until_it_has_paid_back():
    now = [100.0]
    share = ParseShare(0.5, 2.0, clock=lambda: now[0])
    share.check("a")
    share.spend("a", 3.0)  # 3 s owed: 1 s past the burst
    with pytest.raises(Overloaded, match="parse_share=0.5") as e:
        share.check("a")
    assert e.value.retry_after == 2 and e.value.detail["limit"] == "parse_share"  # (1 s at 0.5 s a second)
    share.check("b")  # another client: its own share
    now[0] += 1.0  # 0.5 s paid back: 2.5 s owed, still past
    with pytest.raises(Overloaded):
        share.check("a")
    now[0] += 1.0  # 2.0 s owed: within the burst
    share.check("a")
    with share.timing("a"):  # (CPU time of this thread: charged even when small)
        sum(range(1000))
    now[0] += 10.0
    share.check("a")


@pytest.mark.parametrize("most", [1, 2])
def test_a_clients_imports_past_imports_per_client_are_refused_until_one_ends(most):
    p = ParseShare(0.5, 4.0, imports_per_client=most)
    for _ in range(most):
        p.start_import("a")
    with pytest.raises(Overloaded) as e:
        p.start_import("a")
    assert e.value.detail["limit"] == "imports_per_client" and e.value.detail["value"] == most
    p.start_import("b")  # (another client's: its own count)
    p.end_import("a")
    p.start_import("a")  # (one ended: one more may begin)
    for _ in range(most):
        p.end_import("a")
    assert "a" not in p._importing  # (a client with none under way is forgotten)
