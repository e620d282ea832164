"""Core lending through a real server (two pinned cpu workers, GRADSERVE_LEND_MIN_MS=0: every job is lent
what is idle): a lone request runs on more threads than its worker owns, a request that arrives while
another holds lent cores runs on its worker's own threads and the other is reported reclaimed, and with
GRADSERVE_LEND_CORES=false nothing is lent. Assertions are on the reported `threads` / `reclaimed`,
/v1/devices and the lend metrics, never on timing; the slow request is waited for on /v1/devices."""
from __future__ import annotations

import os
import time

import pytest

from .helpers import call, decode, in_thread, metric, pool_of, slow_input, slow_net, t, wait_for_pool
from .server import Server, module_server

pytestmark = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="lending needs two cores")
ENV = {"GRADSERVE_LEND_MIN_MS": "0"}


lending = module_server("lending", name="lending", env=ENV, devices="cpu")


SLOW_S = 120  # what the slow job may take on a loaded box: its deadline and the client's wait


def body(n: int, k: int, deadline_s: float | None = None) -> dict:
    b = {"graph": slow_net(n, k), "inputs": [t(slow_input(n), enc="b64")]}
    if deadline_s is not None:  # (the e2e servers' default is 30 s: 400 products took longer at load ~20)
        b["deadline_ms"] = deadline_s * 1000
    return b


def workers(client) -> list:
    return wait_for_pool(client, "the pool is not idle", lambda p: p["busy"] == 0)["workers"]


def test_a_lone_request_runs_on_the_idle_workers_cores(lending):
    with lending.client() as c:
        ws = workers(c)
        lent = metric(c, "gradserve_cores_lent_total", device="cpu")
        timing = decode(call(c, "eval", body(128, 4)))["timing"]
        assert timing["threads"] == sum(w["threads"] for w in ws) > ws[0]["threads"]
        assert timing["reclaimed"] is False
        assert metric(c, "gradserve_cores_lent_total", device="cpu") == lent + len(ws[1]["cores"])
        assert all(w["lent_to"] is None and w["borrowed"] == [] for w in workers(c))  # given back


def test_a_request_arriving_meanwhile_takes_its_core_back(lending):
    with lending.client() as c:
        for k in (60, 150, 400):  # a longer slow job if the last one ended before the second request came
            own = {w["index"]: w["threads"] for w in workers(c)}
            reclaims = metric(c, "gradserve_lend_reclaims_total", device="cpu")
            th, box = in_thread(call, c, "eval", body(512, k, SLOW_S), timeout=SLOW_S)
            while th.is_alive() and not any(w["borrowed"] for w in pool_of(c)["workers"]):
                time.sleep(0.01)
            if not th.is_alive():  # it ended before it was seen lent: a longer one
                continue
            quick = decode(call(c, "eval", body(8, 1)))
            th.join(SLOW_S)
            assert "result" in box, box.get("error")
            slow = decode(box["result"])
            if not slow["timing"]["reclaimed"]:  # it had ended: the quick one was alone
                continue
            index = int(quick["device"].split(":")[1])
            assert quick["timing"]["threads"] == own[index] and quick["device"] != slow["device"]
            assert metric(c, "gradserve_lend_reclaims_total", device="cpu") == reclaims + 1
            return
        raise AssertionError("three slow requests ended before a second request could be sent")


def test_lending_off(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("nolend") / "server.log", devices="cpu",
               env=dict(ENV, GRADSERVE_LEND_CORES="false"))
    try:
        with s.client() as c:
            ws = workers(c)
            timing = decode(call(c, "eval", body(128, 4)))["timing"]
            assert timing["threads"] == ws[0]["threads"] and metric(c, "gradserve_cores_lent_total") == 0
    finally:
        s.stop()
