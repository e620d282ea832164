"""Job outcomes and latencies counted in plain Python (service.metrics.JobTally) read exactly as
prometheus_client's own Counter.inc / Histogram.observe would have counted them, whenever the registry
is collected."""
from __future__ import annotations

from service.metrics import LATENCY_BUCKETS, Metrics


def samples(m: Metrics) -> dict:
    """The job metrics' samples (not their _created timestamps), by (name, labels)."""
    out = {}
    for fam in m.registry.collect():
        if fam.name in ("gradserve_requests", "gradserve_request_latency_seconds"):
            for s in fam.samples:
                if not s.name.endswith("_created"):
                    out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_the_tally_reads_as_prometheus_own_counting():
    # on every bound, just past it, far past the last, and zero
    lat = [0.0, *LATENCY_BUCKETS, *(b * 1.001 for b in LATENCY_BUCKETS), 1e4, 0.0003]
    keys = [("eval", "cpu", "ok"), ("grad", "cpu", "ok"), ("eval", "-", "invalid_request"), ("eval", "cpu", "ok")]
    batched, direct = Metrics(), Metrics()
    assert batched.jobs.batched
    direct.jobs.batched = False  # each job straight into the children: prometheus_client's own arithmetic
    for i, s in enumerate(lat):
        for m in (batched, direct):
            m.jobs.note(keys[i % len(keys)], s)
    want = samples(direct)
    assert want[("gradserve_requests_total", (("code", "ok"), ("endpoint", "eval")))] == \
        sum(i % 4 in (0, 3) for i in range(len(lat)))
    assert samples(batched) == want
    # collected again: nothing counted twice; more jobs add to what is there
    batched.jobs.note(keys[1], 0.002)
    direct.jobs.note(keys[1], 0.002)
    assert samples(batched) == samples(direct)


def test_a_direct_registry_read_sees_jobs_not_yet_scraped():
    m = Metrics()
    for _ in range(3):
        m.jobs.note(("vjp", "cpu", "ok"), 0.0007)
    assert m.registry.get_sample_value("gradserve_requests_total", {"endpoint": "vjp", "code": "ok"}) == 3
    le = {"endpoint": "vjp", "device": "cpu", "code": "ok", "le": "0.001"}
    assert m.registry.get_sample_value("gradserve_request_latency_seconds_bucket", le) == 3
    assert b'gradserve_request_latency_seconds_count{code="ok",device="cpu",endpoint="vjp"} 3.0' in m.render()


def pool_samples(m: Metrics) -> dict:
    """The pools' per-job metrics' samples (lanes, compute time), by (name, labels)."""
    out = {}
    for fam in m.registry.collect():
        if fam.name in ("gradserve_job_lanes", "gradserve_compute_seconds"):
            for s in fam.samples:
                if not s.name.endswith("_created"):
                    out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_counter_and_histogram_children_read_as_their_own_inc_and_observe():
    lat = [0.0, *LATENCY_BUCKETS, *(b * 1.001 for b in LATENCY_BUCKETS), 1e4, 0.0003]
    batched, direct = Metrics(), Metrics()
    direct.jobs.batched = False
    for m in (batched, direct):
        lanes = (m.lanes.labels("cpu", "worker"), m.lanes.labels("cpu", "inline"))
        compute = (m.compute.labels("cpu"), m.compute.labels("gpu"))
        for i, s in enumerate(lat):
            m.jobs.inc(lanes[i % 2])
            m.jobs.observe(compute[i % 3 == 0], s)
    want = pool_samples(direct)
    assert want[("gradserve_job_lanes_total", (("device", "cpu"), ("lane", "inline")))] == len(lat) // 2
    assert want[("gradserve_compute_seconds_count", (("device", "cpu"),))] == sum(i % 3 != 0 for i in range(len(lat)))
    assert pool_samples(batched) == want
    assert not batched.jobs.incs and not batched.jobs.observed  # moved into the children by the collection
    batched.jobs.inc(batched.lanes.labels("cpu", "inline"))  # counted once more, not twice
    assert batched.registry.get_sample_value("gradserve_job_lanes_total", {"device": "cpu", "lane": "inline"}) == \
        len(lat) // 2 + 1
