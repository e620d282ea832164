"""Prometheus metrics of one server (its own registry, so tests can start several apps in one process)."""
from __future__ import annotations

from bisect import bisect_left

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.jobs = JobTally(self)  # (registered first: collected, hence flushed, before the job metrics)
        r.register(self.jobs)
        # one vocabulary for HTTP and gRPC: code is the error code (service.errors.CODES), "ok" or "cancelled"
        self.requests = Counter("gradserve_requests", "Job requests by endpoint and outcome (error code, ok, "
                                "cancelled), HTTP and gRPC alike.", ["endpoint", "code"], registry=r)
        self.latency = Histogram("gradserve_request_latency_seconds", "Job latency (server side, admission to "
                                 "encode), every outcome.", ["endpoint", "device", "code"], buckets=LATENCY_BUCKETS,
                                 registry=r)
        self.queue_wait = Histogram("gradserve_queue_wait_seconds", "Time jobs wait for a worker.",
                                    ["device"], buckets=LATENCY_BUCKETS, registry=r)
        self.compute = Histogram("gradserve_compute_seconds", "Time a worker spends running a job.",
                                 ["device"], buckets=LATENCY_BUCKETS, registry=r)
        self.queue_depth = Gauge("gradserve_queue_depth", "Jobs waiting for a worker, per pool.", ["device"],
                                 registry=r)
        self.busy = Gauge("gradserve_workers_busy", "Workers running a job, per pool.", ["device"], registry=r)
        self.workers_live = Gauge("gradserve_workers_live", "Live workers, per pool.", ["device"], registry=r)
        self.cache_hits = Counter("gradserve_compile_cache_hits", "Jobs whose plan was in the worker's cache.",
                                  ["device"], registry=r)
        self.cache_misses = Counter("gradserve_compile_cache_misses", "Jobs that compiled their plan.",
                                    ["device"], registry=r)
        self.restarts = Counter("gradserve_worker_restarts", "Workers replaced, by reason (died, deadline).",
                                ["device", "reason"], registry=r)
        self.shm_kept = Gauge("gradserve_shm_kept_bytes", "Shared memory kept for reuse: output slots per pool, "
                              "request-body buffers as device=\"requests\", copies of clients' unchanged shared-memory "
                              "inputs as device=\"client_inputs\" (service.client_shm.Kept).", ["device"], registry=r)
        self.cache_bytes = Gauge("gradserve_cache_bytes", "Bytes held by the server's caches (graphs, derived) and "
                                 "the workers' plan caches (plans:<pool>).", ["cache"], registry=r)
        self.cores_lent = Counter("gradserve_cores_lent", "Cores lent by idle workers to a starting job of the same "
                                  "pool (summed over jobs; service.core_lending).", ["device"], registry=r)
        self.lend_reclaims = Counter("gradserve_lend_reclaims", "Lent cores taken back from a running job because "
                                     "another job arrived.", ["device"], registry=r)
        self.lanes = Counter("gradserve_job_lanes", "Jobs by where they ran: in a worker process (worker), in "
                             "the server's own process (inline; service.inline), or sent by a client straight to "
                             "its leased worker (direct; service.lanes).", ["device", "lane"], registry=r)
        self.tensors_stored = Counter("gradserve_tensors_stored", "Parameter values stored by content hash "
                                      "(POST /v1/tensors, gRPC PutTensors; one already kept is not stored again): "
                                      "unit=\"tensors\" counts them, unit=\"bytes\" their bytes.", ["unit"],
                                      registry=r)
        self.weights_sent = Counter("gradserve_weights_sent", "Parameter values named by hash sent to a worker as "
                                    "raw bytes (service.weight_refs: once per worker while its cache keeps them): "
                                    "unit=\"values\" counts them, unit=\"bytes\" their bytes.", ["device", "unit"],
                                    registry=r)
        self.grpc_connections = Gauge("gradserve_grpc_connections", "Open gRPC connections, silent ones not yet "
                                      "in channelz included (service.grpc_conns).",
                                      registry=r)
        self.grpc_closed = Counter("gradserve_grpc_connections_closed", "gRPC connections closed, by reason: age "
                                   "(lived grpc_max_connection_age_s), share (past its peer's "
                                   "peer_connection_share), crowd (idle, shut for room near max_connections: "
                                   "service.grpc_crowd) or other.", ["reason"], registry=r)
        self.body_budget = Gauge("gradserve_body_budget_bytes", "The request-body byte budget (service.body_budget): "
                                 "held (bodies inflating, bodies read and parsed without an admission place, "
                                 "large bodies' parses) and total (body_budget_bytes).", ["state"], registry=r)
        self.admitting = Gauge("gradserve_jobs_admitting", "Job requests admitted whose bodies are being read or "
                               "decoded (not yet in a pool's queue: gradserve_queue_depth).", registry=r)
        self.repository_reads = Counter("gradserve_repository_reads", "Model folders read and parsed by the model "
                                        "repository (a load of unchanged files reads nothing), by outcome: loaded "
                                        "or failed.", ["outcome"], registry=r)
        self.rejected = Counter("gradserve_rejected", "Jobs refused with 429 because the queue was full.",
                                ["device"], registry=r)
        self.derive_full = Counter("gradserve_derive_full", "Derivations that found every derive thread taken "
                                   "(settings.derive_threads) and waited in the queue for one "
                                   "(service.derive_share).", registry=r)
        self.derive_peak = Gauge("gradserve_derive_client_peak", "The most derivations one client has had on derive "
                                 "threads at once since the server started (service.derive_share caps it at "
                                 "derive_threads - 1, at least 1): a check that holds whenever the derivations "
                                 "overlap, not only when another client's meets them.", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _histogram_internals_ok() -> bool:
    """Whether prometheus_client's histogram children have the internals `add_observed` writes into
    (`_sum`, one `_buckets` counter per bound): the one place that depends on them."""
    probe = Histogram("probe", "", buckets=LATENCY_BUCKETS, registry=None)  # (unregistered, unlabelled)
    return hasattr(probe, "_sum") and len(getattr(probe, "_buckets", ())) == len(LATENCY_BUCKETS) + 1


def add_observed(child, total: float, counts: list) -> None:
    """Observations already bucketed (counts per bound of LATENCY_BUCKETS and +Inf, their sum) added to a
    histogram child as its observe() would have added them one by one."""
    child._sum.inc(total)
    for i, c in enumerate(counts):
        if c:
            child._buckets[i].inc(c)


class JobTally:
    """Per-job counts kept in plain Python and moved into their prometheus_client children whenever the
    registry is collected (a scrape, `get_sample_value`): prometheus_client takes a lock per increment or
    observation (~1-2 us each of the event loop's time, several per small job). What it counts:
    - `note`: each job's outcome and latency per (endpoint, device, outcome), into `requests` and `latency`;
    - `inc` / `observe`: a Counter child's increments, a Histogram child's observations (LATENCY_BUCKETS),
      for the pools' per-job metrics (lanes, compute and queue-wait time, plan-cache hits).
    The counts are those inc() and observe() would make (a latency goes to the first bucket whose bound is
    >= it). Used from the event loop only, as the scrape is. Without the histogram internals that
    `add_observed` relies on, everything is counted straight into the children."""

    def __init__(self, m: Metrics):
        self.m = m
        self.bounds = [*LATENCY_BUCKETS, float("inf")]
        self.children: dict = {}  # key -> (requests, latency) children: one label lookup per key
        self.pending: dict = {}  # key -> [jobs, latency sum, [jobs per bucket]]
        self.incs: dict = {}  # Counter child -> increments not yet added
        self.observed: dict = {}  # Histogram child -> [sum, [observations per bucket]] not yet added
        self.batched = _histogram_internals_ok()

    def note(self, key: tuple, seconds: float) -> None:
        """One job of `key` = (endpoint, device, outcome) took `seconds`."""
        if not self.batched:
            req, lat = self._children(key)
            req.inc()
            lat.observe(seconds)
            return
        rec = self.pending.get(key)
        if rec is None:
            rec = self.pending[key] = [0, 0.0, [0] * len(self.bounds)]
        rec[0] += 1
        rec[1] += seconds
        rec[2][bisect_left(self.bounds, seconds)] += 1

    def job(self, kind: str, device: str, outcome: str, seconds: float) -> None:
        """One job of endpoint `kind` on `device` ("cpu:0": counted as its pool, "cpu") ended with `outcome`
        (the error code, "ok", "cancelled") after `seconds`: every job path counts its jobs here (service.jobs'
        requests, a direct lane's jobs: service.lanes)."""
        self.note((kind, device.split(":")[0], outcome), seconds)

    def inc(self, counter) -> None:
        """counter.inc() (a labelled child), counted here until the next collection."""
        if self.batched:
            self.incs[counter] = self.incs.get(counter, 0) + 1
        else:
            counter.inc()

    def observe(self, histogram, seconds: float) -> None:
        """histogram.observe(seconds) (a labelled child with LATENCY_BUCKETS), counted here until the next
        collection."""
        if not self.batched:
            histogram.observe(seconds)
            return
        rec = self.observed.get(histogram)
        if rec is None:
            rec = self.observed[histogram] = [0.0, [0] * len(self.bounds)]
        rec[0] += seconds
        rec[1][bisect_left(self.bounds, seconds)] += 1

    def _children(self, key: tuple):
        pair = self.children.get(key)
        if pair is None:  # label lookups take a lock and build a key: once per (endpoint, device, outcome)
            pair = self.children[key] = (self.m.requests.labels(key[0], key[2]), self.m.latency.labels(*key))
        return pair

    def flush(self) -> None:
        pending, self.pending = self.pending, {}
        for key, (n, total, counts) in pending.items():
            req, lat = self._children(key)
            req.inc(n)
            add_observed(lat, total, counts)
        incs, self.incs = self.incs, {}
        for counter, n in incs.items():
            counter.inc(n)
        observed, self.observed = self.observed, {}
        for histogram, (total, counts) in observed.items():
            add_observed(histogram, total, counts)

    def collect(self):  # (a prometheus_client collector: yields no metric of its own)
        self.flush()
        return []
