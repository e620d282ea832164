"""Fairness: one client flooding the pool (many connections, many large jobs) costs another client a
bounded share, not its place in line behind the whole flood.

Clients are told apart by their API key (without keys: by peer host; service.jobs.client_of). The pool
dispatches the queued job of the client with the fewest jobs in the pool first, and a full queue still takes
a job of a client holding two places fewer than the heaviest one, whose newest job gets the 429 instead
(service.pools: Pool._fair_order, Pool.evictable).

Measured on the 2-core box (this file's e2e scenario, 24 flooders of ~0.5 s jobs, queue of 16): before,
the victim's small job waited 7.5-8.2 s in the queue and 6 of its 8 tries got 429; after, 28 of 28 ran,
queue wait at most ~0.8 s (one flood job), median latency 0.47 s against 16 ms alone."""
from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from service.errors import Overloaded
from service.metrics import Metrics
from service.pools import Pool, build_specs
from service.settings import Settings

from .helpers import body_for, slow_input, slow_net, victim_queue_waits, wait_for_pool
from .server import Server, module_server
from .test_unit_pool_scheduling import CEILING, loop, neg_job, rejected, settled, slow_job  # noqa: F401 - (loop: a fixture)



# -- at the pool: the order and the places (one real worker; every job submitted in one step) -------------
@pytest.fixture(scope="module")
def pool(loop):
    s = Settings(cpu_workers=1, queue_size=4, pin_cpus=False, inline_max_ms=0)
    p = Pool("cpu", build_specs("cpu", s), s, Metrics())
    loop.run(p.start())
    yield p
    loop.run(p.stop())


def of(client: str, job):
    job.client = client
    return job


def test_the_client_with_fewer_jobs_in_the_pool_goes_first(loop, pool):
    async def scenario():
        await settled(pool)
        busy = of("a", slow_job())
        flood = [of("a", neg_job(i)) for i in range(3)]
        other = of("b", neg_job(9))
        futs = [pool.submit(j) for j in (busy, *flood, other)]
        assert list(pool.queue) == [*flood, other]
        await asyncio.wait_for(asyncio.gather(*futs), CEILING)
        assert other.started < min(j.started for j in flood), "b waited behind a's flood"
        assert [j.started for j in flood] == sorted(j.started for j in flood)  # FIFO within a client

    loop.run(scenario())


def test_a_full_queue_still_takes_a_job_of_a_client_holding_fewer_places(loop, pool):
    async def scenario():
        await settled(pool)
        busy = of("a", slow_job())
        flood = [of("a", neg_job(i)) for i in range(4)]
        futs = [pool.submit(j) for j in (busy, *flood)]
        before = rejected(pool)
        b1, b2 = of("b", neg_job(10)), of("b", neg_job(11))
        fb = [pool.submit(b1), pool.submit(b2)]
        assert list(pool.queue) == [flood[0], flood[1], b1, b2]  # a's two newest gave their places
        for f in futs[3:]:
            with pytest.raises(Overloaded) as ei:
                await asyncio.wait_for(f, CEILING)
            assert "gave its place" in ei.value.message and ei.value.retry_after >= 1
        with pytest.raises(Overloaded):  # now even: a third of b's waits like anyone's
            pool.submit(of("b", neg_job(12)))
        with pytest.raises(Overloaded):  # and a, holding as many, cannot take b's places back
            pool.submit(of("a", neg_job(13)))
        assert rejected(pool) == before + 4
        await asyncio.wait_for(asyncio.gather(*futs[:3], *fb), CEILING)

    loop.run(scenario())


# -- through the server: a victim's latency during a flood ---------------------------------------------------
srv = module_server("fairness", devices="cpu",
                    env={"GRADSERVE_QUEUE_SIZE": "16", "GRADSERVE_API_KEYS": "flood-key,victim-key",
                         "GRADSERVE_INLINE_MAX_MS": "0", "GRADSERVE_DEFAULT_DEADLINE_S": "60"})


def client(srv: Server, key: str) -> httpx.Client:
    return httpx.Client(base_url=srv.url, timeout=120, headers={"Authorization": f"Bearer {key}"},
                        limits=httpx.Limits(max_keepalive_connections=0))


FLOODERS = 4  # processes, each with CONNECTIONS flooding connections: 20 in all, the queue's 16 places and more
CONNECTIONS = 5


def start_flood(srv: Server, tmp: Path) -> tuple[list[subprocess.Popen], Path]:
    """The flood in processes of their own (tests/e2e/flood_process.py): in this process, its threads took the
    GIL from the victim's client, and on a loaded box the victim's numbers measured this test, not the server."""
    content, headers = body_for({"graph": slow_net(512, 30), "inputs": [slow_input(512)]}, "binary")
    body, stop = tmp / "flood.body", tmp / "flood.stop"
    body.write_bytes(content)
    script = Path(__file__).with_name("flood_process.py")
    procs = [subprocess.Popen([sys.executable, str(script), srv.url, "flood-key", str(body), json.dumps(headers),
                               str(stop), str(CONNECTIONS)], stdout=subprocess.PIPE, text=True)
             for _ in range(FLOODERS)]
    return procs, stop


def stop_flood(procs: list[subprocess.Popen], stop: Path) -> list[str]:
    """Stop the flood; every answer it got ("200 <compute_ms>" or a status)."""
    stop.touch()
    lines: list[str] = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=150)  # each connection ends its job in flight (the server's deadline)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        lines += out.splitlines()
    return lines


@pytest.mark.serial  # waits against the median job: a sibling's load skews them
def test_a_flood_costs_the_victim_about_one_flood_job(srv, tmp_path):
    """20 flooding connections (4 processes) keep the queue full of ~0.3 s jobs; the victim's 6 small jobs
    each get a place (no 429) and wait at most a few flood jobs, where plain FIFO made them wait for the
    whole queue (16 jobs over 2 workers: ~8 flood jobs). Premise, asserted at each victim job: the queue
    still holds at least 8 jobs (FIFO: at least 4 flood jobs' wait)."""
    procs, stop = start_flood(srv, tmp_path)
    try:
        with client(srv, "victim-key") as v:
            wait_for_pool(v, "the flood never filled the queue", lambda p: p["queue_depth"] >= 12, timeout=120)
            waits = victim_queue_waits(v)
    finally:
        answers = stop_flood(procs, stop)
    computes = [float(a.split()[1]) for a in answers if a.startswith("200 ")]
    assert computes, answers[-20:]
    # a flood job may also outlive its deadline on a loaded box (504): the flood's own fate is not under test
    assert all(a.split()[0] in ("200", "429", "504") for a in answers), sorted(set(answers))[:20]
    job_ms = statistics.median(computes)
    # fair: a worker frees within one flood job; FIFO: 16 queued / 2 workers = ~8 flood jobs
    assert max(waits) < 3 * job_ms + 500, (waits, job_ms)
