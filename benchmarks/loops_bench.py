"""Loops through the SDK against a real server, beside local JAX in the same run (workloads.md L1-L4, W2).

    python benchmarks/loops_bench.py                 # all
    python benchmarks/loops_bench.py --quick         # shorter
    python benchmarks/loops_bench.py --only L1,L3 --json out.json
    python benchmarks/loops_bench.py --mode pynative # the loops in the default mode (GRAPH_MODE otherwise)

L1  deep-potential training step (ops.value_and_grad w.r.t. the weights + nn.SGD), 50 steps: median step
    vs JAX's jitted step (interleaved), losses step by step, server + workers RSS before/after, cost of
    the first / last 10 steps.
L2  2000 gradients of a logistic-regression log-density in one ops.vmap(ops.grad(logp)) call vs JAX
    jit(vmap(grad)); batch sizes 100..8000.
L3  500 dependent value_and_grad calls (an HMC-like chain) vs a bare FastAPI echo of the same request
    body over the same HTTP client as the SDK's (its transport's `send`) and the same transport (the
    echo on a Unix socket when the SDK went over its server's: `transport`; the TCP echo beside it as
    echo_tcp_ms / ratio_to_tcp_echo), and the same body posted raw
    to the server (the server's share); the echo over httpx too (the SDK's client before 2026-12);
    the chain over gRPC too; the same calls from 1 / 4 / 16 threads.
L4  throughput of L3's job (raw requests, distinct inputs) at concurrency 64 against a server without
    and one with dynamic batching (GRADSERVE_BATCH_DELAY_MS=5), posted by a lean client (_server.RawPoster:
    httpx's AsyncClient, used until stop 35, cost ~2 ms of CPU a request and set the pace), with the
    server's and the client's CPU per request.
W2  MLP 784-512-512-10 gradient w.r.t. its 6 weights through the SDK (ops.grad) vs JAX in-process.

The machine is shared and noisy: ratios measured side by side in one run are what carry over.
Benchmarks are not tests: nothing here asserts a timing.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "clients" / "python"))

import gradserve as gs  # noqa: E402

from benchmarks import loops_workloads as LW  # noqa: E402
from benchmarks._server import cpu_ns, free_port, server_binary, server_env, stop, wait_ready  # noqa: E402


def settle() -> None:
    """Collect what the harness's imports and warm-up left (JAX alone tracks ~120k objects) before a timed
    section, so that a one-off full collection of them does not land on a timed call of either side. The
    collector stays on: what the SDK or JAX allocate per call still costs them inside the loop."""
    gc.collect()


def med(xs) -> float:
    return float(np.median(xs))


def spread(xs) -> dict:
    """p50 / p90 / max of per-call seconds, in ms: a slow run's tail, not only its median."""
    return {"p50_ms": med(xs) * 1e3, "p90_ms": float(np.percentile(xs, 90)) * 1e3, "max_ms": max(xs) * 1e3}


class Counts:
    """What the SDK and the collector did meanwhile (to explain an outlier run): the SDK's trace counts
    (gradserve._trace.trace_stats: traces made, recorded under the PyNative guard hook, guard failures,
    unguarded fresh traces) and the garbage collector's runs per generation."""

    def __init__(self):
        self.sdk, self.gc = gs._trace.trace_stats(), [g["collections"] for g in gc.get_stats()]

    def since(self) -> dict:
        now, gcs = gs._trace.trace_stats(), [g["collections"] for g in gc.get_stats()]
        return {"sdk_traces": {k: now[k] - self.sdk[k] for k in now},
                "gc_collections": [b - a for a, b in zip(self.gc, gcs)]}


class Server:
    def __init__(self, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.grpc_port = free_port()
        self.proc = subprocess.Popen([server_binary()], env=server_env(env, GRADSERVE_PORT=str(self.port),
                                                                       GRADSERVE_GRPC_PORT=str(self.grpc_port),
                                                                       GRADSERVE_DEVICES="cpu"),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.proc, self.url + "/v2/health/ready")
        # one client for the benchmark's own calls (RSS, CPU, counters): httpx.get makes a Client each time,
        # an SSL context and reference cycles included, whose collection (a gen0 GC of 2-31 ms at load ~8)
        # then landed in a timed step a dozen calls later, at the same step in every run
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def rss_mib(self) -> float:
        pools = self.http.get("/v1/devices").json()["pools"]
        pids = [self.proc.pid] + [w["pid"] for p in pools for w in p["workers"] if w.get("pid")]
        total = 0
        for pid in pids:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        return total / 1024

    def cpu_s(self) -> tuple[float, float]:
        """(server main process, its workers) CPU seconds so far: every thread's run time, in ns, from
        /proc/<pid>/task/<tid>/schedstat (the /proc/<pid>/stat ticks are 10 ms: too coarse per call)."""
        if not hasattr(self, "_worker_pids"):
            pools = self.http.get("/v1/devices").json()["pools"]
            self._worker_pids = [w["pid"] for p in pools for w in p["workers"] if w.get("pid")]
        return cpu_ns(self.proc.pid) / 1e9, sum(cpu_ns(p) for p in self._worker_pids) / 1e9

    def jobs(self) -> dict:
        """Counters of where the cpu pool's jobs ran so far: worker / inline lane, and cores lent (on a
        2-core box one per lent job): whether a run's W2 computed on two cores or one."""
        text = self.http.get("/metrics").text
        out = {"worker": 0.0, "inline": 0.0, "cores_lent": 0.0}
        for line in text.splitlines():
            if line.startswith("gradserve_job_lanes_total{") and 'device="cpu"' in line:
                lane = line.split('lane="', 1)[1].split('"', 1)[0]
                out[lane] = float(line.rsplit(" ", 1)[1])
            elif line.startswith("gradserve_cores_lent_total{") and 'device="cpu"' in line:
                out["cores_lent"] = float(line.rsplit(" ", 1)[1])
        return out

    def close(self):
        self.http.close()
        stop(self.proc)


# -- L1 ------------------------------------------------------------------------------------------
def l1(srv: Server, steps: int) -> dict:
    data = LW.dp_data()
    step, _ = LW.dp_sdk(gs, data, lr=1e-6)
    jstep, jp = LW.dp_jax(data, lr=1e-6)
    R, E, F = gs.Tensor(data["R"]), gs.Tensor(data["E"]), gs.Tensor(data["F"])
    args = (data["R"], data["E"], data["F"])
    # not timed, nor in the RSS baseline: the first step compiles the graph with the initial weights in
    # it, the second the graph without them (changed weights are data from then on)
    step(R, E, F)
    step(R, E, F)
    for _ in range(2):
        jl, jp = jstep(jp, *args)
    jl.block_until_ready()
    losses, jlosses, ts, tj = [float("nan")], [float(jl)], [], []
    rss0 = srv.rss_mib()
    j0 = srv.jobs()
    settle()
    counts = Counts()
    for _ in range(steps):
        t = time.perf_counter()
        loss = step(R, E, F)
        ts.append(time.perf_counter() - t)
        t = time.perf_counter()
        jl, jp = jstep(jp, *args)
        jl.block_until_ready()
        tj.append(time.perf_counter() - t)
        losses.append(float(loss.asnumpy()))
        jlosses.append(float(jl))
    timed = counts.since()
    j1 = srv.jobs()  # (a step run in a worker, not the inline lane: ~2x its time, a slow run's usual cause)
    timed["jobs"] = {k: j1[k] - j0[k] for k in j1}
    rss1 = srv.rss_mib()
    # SDK loss i is taken before update i; JAX's too: both sequences start from the same weights
    rel = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(losses[1:], jlosses[1:]))
    return {"steps": steps, "sdk_ms": med(ts) * 1e3, "jax_ms": med(tj) * 1e3, "ratio": med(ts) / med(tj),
            "first10_ms": med(ts[:10]) * 1e3, "last10_ms": med(ts[-10:]) * 1e3,
            "max_rel_loss_diff": rel, "rss_before_mib": rss0, "rss_after_mib": rss1, "rss_growth_mib": rss1 - rss0,
            "loss_first": losses[1], "loss_last": losses[-1], "sdk_per_call": spread(ts), "jax_per_call": spread(tj),
            "timed": timed}


# -- L2 ------------------------------------------------------------------------------------------
L2_WARM = 5  # calls after the first, untimed on both sides


def l2(reps: int, sizes, srv: Server | None = None) -> dict:
    import jax

    X, y = LW.logreg_data()
    f = gs.ops.vmap(gs.ops.grad(LW.logp_sdk(gs, X, y)))
    jf = jax.jit(jax.vmap(jax.grad(LW.logp_jax(X, y))))
    out = {}
    settle()
    for n in sizes:
        W = np.random.default_rng(n).normal(size=(n, X.shape[1])).astype(np.float32)
        Wt = gs.Tensor(W)
        t = time.perf_counter()
        f(Wt)  # the first call registers and compiles (reported apart, as JAX's jit compile is not timed)
        first = time.perf_counter() - t
        jf(W).block_until_ready()
        for _ in range(L2_WARM):  # the server's warm-up: its inline lane compiles its copy of the plan
            f(Wt)
            jf(W).block_until_ready()
        ts, tj = [], []
        j0 = srv.jobs() if srv is not None else None
        for _ in range(reps):
            t = time.perf_counter()
            got = f(Wt)
            ts.append(time.perf_counter() - t)
            t = time.perf_counter()
            ref = jf(W).block_until_ready()
            tj.append(time.perf_counter() - t)
        err = float(np.max(np.abs(got.asnumpy() - np.asarray(ref))) / (np.max(np.abs(np.asarray(ref))) + 1e-30))
        out[f"n{n}"] = {"sdk_ms": med(ts) * 1e3, "jax_ms": med(tj) * 1e3, "ratio": med(ts) / med(tj),
                        "max_rel_err": err, "first_call_ms": first * 1e3, "reps": reps}
        if j0 is not None:  # the timed calls' lanes: L2's compute sits near inline_max_ms (service.inline)
            j1 = srv.jobs()
            out[f"n{n}"]["jobs"] = {k: j1[k] - j0[k] for k in j1}
    return out


# -- L3 / L4 ---------------------------------------------------------------------------------------
def _echo_server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "service_bench.py"), "--echo-server",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(proc, f"http://127.0.0.1:{port}/ready", "echo")
    return proc, f"http://127.0.0.1:{port}"


_UDS_ECHO = ("import sys, uvicorn; sys.path[:0] = sys.argv[2:]; from benchmarks.service_bench import echo_app; "
             "uvicorn.run(echo_app(), uds=sys.argv[1], log_level='warning', access_log=False)")


def _echo_server_unix(path: str):
    """The same echo app under the same uvicorn, on a Unix socket: the floor when the SDK went over its
    server's Unix socket (setting uds_path)."""
    proc = subprocess.Popen([sys.executable, "-c", _UDS_ECHO, path, str(ROOT), str(ROOT / "clients" / "python")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http+unix://" + quote(path, safe="")
    end = time.monotonic() + 60
    while time.monotonic() < end and proc.poll() is None:
        try:
            with gs.Client(url, max_retries=0) as c:
                if c._transport.send("GET", "/ready", None, {})[0] == 200:
                    return proc, url
        except gs.errors.APIConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the unix-socket echo did not start")


def _traced_program(fn, *args):
    """The program a derivative's calls ran: its cached trace (GRAPH_MODE's, or PyNative's guarded one); one
    call in GRAPH_MODE keeps one where PyNative kept none (the same graph: the echo's request body)."""
    for cache in gs.ops._autodiff._caches[fn.fn].values():
        for key, v in list(cache.items()):
            if key == ("pyguard",):  # (gradserve._pyguard.table)
                v = next((e.prog for e in v.values() if e), None)
            if v is not None:
                return v
    mode = gs.get_context("mode")
    gs.set_context(mode=gs.GRAPH_MODE)
    try:
        fn(*args)
    finally:
        gs.set_context(mode=mode)
    return _traced_program(fn, *args)


def l3(srv: Server, calls: int) -> dict:
    import jax

    X, y = LW.logreg_data()
    vg = gs.ops.value_and_grad(LW.logp_sdk(gs, X, y))
    jvg = jax.jit(jax.value_and_grad(LW.logp_jax(X, y)))
    w0 = np.zeros(X.shape[1], np.float32)

    def chain(fn, n, wrap):
        w = w0.copy()
        ts = []
        for _ in range(n):
            t = time.perf_counter()
            v, g = fn(wrap(w))
            g = np.asarray(g.asnumpy() if hasattr(g, "asnumpy") else g)
            ts.append(time.perf_counter() - t)
            w = w + 1e-3 * g  # the next call depends on this one
        return ts

    chain(vg, 20, gs.Tensor)
    chain(jvg, 20, lambda w: w)
    settle()
    # the echo: the request the SDK sends for this call, through the SDK's own HTTP client (the transport
    # it picked for this URL: its `send` is the wire round trip without the SDK's body building/decoding)
    from gradserve._transport.http import HTTPTransport
    from gradserve._wire import encode_request

    client = gs.context.client()
    prog = _traced_program(vg, gs.Tensor(w0))
    body = {"graph_id": client._known[prog.ref().hash], "inputs": [w0], "device": "cpu"}
    content, headers = encode_request(body, binary=False)  # the echo parses JSON: its floor stays a JSON body
    # the server's share: the body the SDK itself sends (a trace's jobs go binary: gradserve._client.GraphRef)
    raw, raw_headers = (encode_request(dict(body, binary_output=True), binary=True)
                        if getattr(prog.ref(), "binary", False) else (content, headers))
    proc, echo_url = _echo_server()
    sdk_http = client._transport
    # the echo goes as the SDK's calls went: over a Unix socket when the SDK used its server's (the TCP
    # echo is measured beside it: echo_tcp_ms)
    unix = sdk_http._lean is not None and sdk_http._lean.unix_path is not None
    tmp = tempfile.mkdtemp(prefix="echo-") if unix else None
    uproc, uurl = _echo_server_unix(os.path.join(tmp, "echo.sock")) if tmp else (None, None)
    echo_tcp = HTTPTransport(echo_url, unix_socket=False)  # the same library as the SDK's transport
    echo = HTTPTransport(uurl) if uurl else echo_tcp
    echo_httpx = httpx.Client(base_url=echo_url)  # the floor as httpx sees it (the SDK's client before)
    try:
        for _ in range(20):
            echo.send("POST", "/echo", content, headers)
            echo_tcp.send("POST", "/echo", content, headers)
            echo_httpx.post("/echo", content=content, headers=headers).content
        te, tt, tx, tr, ts, tj = [], [], [], [], [], []
        for _ in range(5):  # interleaved rounds: the machine's load drifts
            for _ in range(calls // 5):
                t = time.perf_counter()
                echo.send("POST", "/echo", content, headers)
                te.append(time.perf_counter() - t)
            for _ in range(calls // 5 if unix else 0):
                t = time.perf_counter()
                echo_tcp.send("POST", "/echo", content, headers)
                tt.append(time.perf_counter() - t)
            for _ in range(calls // 5):
                t = time.perf_counter()
                echo_httpx.post("/echo", content=content, headers=headers).content
                tx.append(time.perf_counter() - t)
            for _ in range(calls // 5):  # the same body to the server itself: the server's own cost
                t = time.perf_counter()
                sdk_http.send("POST", "/v1/eval", raw, raw_headers)
                tr.append(time.perf_counter() - t)
            ts += chain(vg, calls // 5, gs.Tensor)
            tj += chain(jvg, calls // 5, lambda w: w)
    finally:
        echo.close()
        echo_tcp.close()
        echo_httpx.close()
        for p in (proc, uproc):
            if p is not None:
                p.terminate()
                p.wait(10)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    out = {"calls": calls, "sdk_ms": med(ts) * 1e3, "echo_ms": med(te) * 1e3, "raw_request_ms": med(tr) * 1e3,
           "jax_ms": med(tj) * 1e3, "ratio_to_echo": med(ts) / med(te), "raw_request_to_echo": med(tr) / med(te),
           "http_client": "httpx" if sdk_http._lean is None else "gradserve._transport._http1",
           "transport": "unix" if unix else "tcp",
           "echo_tcp_ms": med(tt or te) * 1e3, "ratio_to_tcp_echo": med(ts) / med(tt or te),
           "echo_httpx_ms": med(tx) * 1e3, "ratio_to_httpx_echo": med(ts) / med(tx),
           "p99_sdk_ms": float(np.percentile(ts, 99)) * 1e3}
    gs.set_context(server=f"grpc://127.0.0.1:{srv.grpc_port}")  # the same chain over gRPC
    chain(vg, 20, gs.Tensor)
    out["grpc_sdk_ms"] = med(chain(vg, calls, gs.Tensor)) * 1e3
    gs.set_context(server=srv.url)
    for conc in (1, 4, 16):  # L4: independent chains from `conc` threads over the one client
        n = max(conc * 10, calls // 2)
        t = time.perf_counter()
        with ThreadPoolExecutor(conc) as ex:
            list(ex.map(lambda _: chain(vg, n // conc, gs.Tensor), range(conc)))
        out[f"c{conc}_calls_per_s"] = n / (time.perf_counter() - t)
    return out


# -- L4: small-job throughput at concurrency 64, without and with dynamic batching --------------------
def l4(n: int, delay_ms: float = 5.0) -> dict:
    import asyncio

    from benchmarks._server import RawPoster, closed_loop, summary

    X, y = LW.logreg_data()
    prog, _ = gs._trace.trace_program(gs.ops.value_and_grad(LW.logp_sdk(gs, X, y))._emit,
                                      [gs.Tensor(np.zeros(X.shape[1], np.float32))])
    doc = prog.graph_doc()
    rng = np.random.default_rng(0)
    bodies = [json.dumps({"inputs": [{"shape": [X.shape[1]], "datatype": "FP32",
                                      "data": rng.normal(size=X.shape[1]).astype(np.float32).tolist()}]})
              for _ in range(64)]
    out = {}
    for name, env in (("unbatched", None), ("batched", {"GRADSERVE_BATCH_DELAY_MS": str(delay_ms)})):
        srv = Server(env)
        try:
            gid = httpx.post(srv.url + "/v1/graphs", json={"graph": doc}, timeout=60).json()["graph_id"]
            payloads = [('{"graph_id":"%s",' % gid + b[1:]).encode() for b in bodies]

            async def go():
                async with RawPoster(srv.url, 64) as c:  # (a lean client: httpx's would set the pace, not the server)
                    k = [0]

                    async def call():
                        k[0] += 1
                        status, answer = await c.post("/v1/eval", payloads[k[0] % 64])
                        if status == 200:
                            sizes.append(json.loads(answer)["timing"].get("batch", 1))
                        return status == 200
                    s0, c0 = srv.cpu_s(), time.process_time()
                    got = await closed_loop(call, 64, n)
                    s1, c1 = srv.cpu_s(), time.process_time()
                    cpu.update(server_main_cpu_us=(s1[0] - s0[0]) / n * 1e6, workers_cpu_us=(s1[1] - s0[1]) / n * 1e6,
                               client_cpu_us=(c1 - c0) / n * 1e6)  # (the warm-up's 20 calls included: ~1%)
                    return got
            sizes: list = []
            cpu: dict = {}
            lat, wall, errors = asyncio.run(go())
            out[name] = dict(summary(lat, wall, errors), mean_batch=float(np.mean(sizes)) if sizes else None, **cpu)
        finally:
            srv.close()
    out["rps_ratio"] = out["batched"]["rps"] / out["unbatched"]["rps"]
    return out


# -- W2 ------------------------------------------------------------------------------------------
def w2(reps: int, srv: Server | None = None) -> dict:
    import jax
    import jax.numpy as jnp

    from benchmarks.engine_workloads import MLP_SIZES, _mlp_params

    ps = _mlp_params(MLP_SIZES)
    x = np.random.default_rng(1).standard_normal((256, MLP_SIZES[0])).astype(np.float32)
    net = LW.mlp_sdk(gs, ps)
    gfn = gs.ops.grad(net, None, net.trainable_params())
    xt = gs.Tensor(x)

    jf = jax.jit(jax.grad(LW.mlp_loss_jax))
    pj = [jnp.asarray(v) for _, v in ps]
    got, ref = gfn(xt), jf(pj, x)
    gfn(xt)  # (PyNative records a signature's second trace under its guard hook: ~7x a trace, not a timed call)
    err = max(float(np.max(np.abs(a.asnumpy() - np.asarray(b))) / (np.max(np.abs(np.asarray(b))) + 1e-30))
              for a, b in zip(got, ref))
    ts, tj = [], []
    j0 = srv.jobs() if srv is not None else None
    settle()
    counts = Counts()
    with server_timing() as timing:
        for _ in range(reps):
            t = time.perf_counter()
            gfn(xt)
            ts.append(time.perf_counter() - t)
            t = time.perf_counter()
            jax.block_until_ready(jf(pj, x))
            tj.append(time.perf_counter() - t)
    timed = counts.since()
    out = {"sdk_ms": med(ts) * 1e3, "jax_ms": med(tj) * 1e3, "ratio": med(ts) / med(tj), "max_rel_err": err,
           "shared_memory": gs.context.client()._transport._shm is not None, "sdk_per_call": spread(ts),
           "jax_per_call": spread(tj), "timed": timed}
    if len(timing) == reps:  # where the SDK's time went, as the server timed it (the same calls)
        ms = {k: [float(tm.get(k, "nan")) for tm in timing] for k in ("compute_ms", "worker_ms")}
        out["per_call_ms"] = {"sdk": [t * 1e3 for t in ts], "jax": [t * 1e3 for t in tj], **ms,
                              "threads": [int(tm.get("threads", 0)) for tm in timing]}  # (2: lent a core)
        out["server_timing"] = {"compute_ms": med(ms["compute_ms"]), "worker_ms": med(ms["worker_ms"]),
                                # the call's time outside the worker's job: SDK, HTTP, the server's loop, hops
                                "outside_ms": med([t * 1e3 - w for t, w in zip(ts, ms["worker_ms"])]),
                                "threads": Counter(int(tm.get("threads", 0)) for tm in timing)}
    if j0 is not None:  # lent cores per timed call: ~1 when W2 computed on both cores of a 2-core box
        j1 = srv.jobs()
        out["jobs"] = {k: j1[k] - j0[k] for k in j1}
    out["ab"] = w2_shm_ab(gfn, xt, got, 4 * reps, srv)
    return out


@contextlib.contextmanager
def server_timing():
    """The `timing` of every job answer the SDK decodes meanwhile (compute_ms: the plan's run in the worker;
    worker_ms: from the job's start on a worker to its answer in the server; threads: 2 when lent a core).
    One list append a call (the SDK's module-level answer decoder, wrapped)."""
    from gradserve._transport import http

    got: list = []
    handle = http._handle

    def keep(*a, **k):
        resp = handle(*a, **k)
        if isinstance(resp, dict) and isinstance(resp.get("timing"), dict):
            got.append(resp["timing"])
        return resp
    http._handle = keep
    try:
        yield got
    finally:
        http._handle = handle


def w2_shm_ab(gfn, xt, want, reps: int, srv: Server | None = None) -> dict:
    """The same W2 calls with the SDK's shared memory path (its default on loopback) and without, interleaved
    in one process (the front end's client swapped call by call): wall, client CPU, the server's and its
    workers' CPU per call (medians)."""
    from gradserve import context

    on = context.client()
    off = gs.Client(on.base_url, shared_memory=False)
    wall: dict = {"shm": [], "bytes": []}
    cpu: dict = {"shm": [], "bytes": []}
    srv_cpu: dict = {"shm": [[], []], "bytes": [[], []]}
    try:
        for i in range(2 * reps + 2):
            which, c = ("shm", on) if i % 2 == 0 else ("bytes", off)
            context._client = c  # benchmark only: the front end's shared client, swapped
            s0 = srv.cpu_s() if srv is not None else (0.0, 0.0)
            t, p = time.perf_counter(), time.process_time()
            r = gfn(xt)
            if i >= 2:  # the first of each: regions sized, graph registered
                wall[which].append(time.perf_counter() - t)
                cpu[which].append(time.process_time() - p)
                s1 = srv.cpu_s() if srv is not None else (0.0, 0.0)
                srv_cpu[which][0].append(s1[0] - s0[0])
                srv_cpu[which][1].append(s1[1] - s0[1])
            # (not bit-equal call to call: a job lent a second core sums in another order)
            assert all(np.max(np.abs(a.asnumpy() - b.asnumpy())) <= 1e-5 * np.max(np.abs(b.asnumpy()))
                       for a, b in zip(r, want))
    finally:
        context._client = on
        off.close()
    return {k: {"wall_ms": med(wall[k]) * 1e3, "client_cpu_ms": med(cpu[k]) * 1e3, "n": len(wall[k]),
                "server_cpu_ms": med(srv_cpu[k][0]) * 1e3, "workers_cpu_ms": med(srv_cpu[k][1]) * 1e3}
            for k in wall} | {"ratio_wall": med(wall["shm"]) / med(wall["bytes"])}


def counted(workload, *args) -> dict:
    """workload(*args)'s results with what the SDK and the collector did over all of it (warm-up included)."""
    counts = Counts()
    return workload(*args) | {"counts": counts.since()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="L1,L2,L3,L4,W2")
    ap.add_argument("--json", default=None)
    ap.add_argument("--mode", choices=("graph", "pynative"), default="graph",
                    help="the context mode the loops run in: GRAPH_MODE (default) or PyNative, MindSpore's default")
    ap.add_argument("--w2-calls", type=int, default=0,
                    help="W2's timed calls (default 41): more to see its tail (per_call_ms, sdk_per_call p90 / max)")
    ap.add_argument("--no-direct-lanes", action="store_true",
                    help="the direct lane off (on by default), server (direct_lanes) and SDK (GRADSERVE_DIRECT_LANES=0)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    if args.no_direct_lanes:
        os.environ["GRADSERVE_DIRECT_LANES"] = "0"
    srv = Server({"GRADSERVE_DIRECT_LANES": "0"} if args.no_direct_lanes else None)
    res: dict = {"load_avg": os.getloadavg()}
    try:
        gs.set_context(server=srv.url, device_target="CPU")
        if args.mode == "graph":
            LW.graph_mode(gs)
        res["mode"] = args.mode
        res["direct_lanes"] = not args.no_direct_lanes
        if "L1" in only:
            res["L1"] = counted(l1, srv, 20 if args.quick else 50)
        if "L2" in only:
            res["L2"] = counted(l2, 15 if args.quick else 21, (2000,) if args.quick else (100, 500, 2000, 8000), srv)
        if "L3" in only:
            res["L3"] = counted(l3, srv, 100 if args.quick else 500)
        if "L4" in only:
            res["L4"] = counted(l4, 500 if args.quick else 2000)
        if "W2" in only:
            # 41 timed calls each (15 before stop 23): a median of 15 ~10 ms calls moved by ~1 ms between
            # runs against the 60-call A/B of the same run; the bar is about the steady per-call time
            res["W2"] = counted(w2, args.w2_calls or (5 if args.quick else 41), srv)
    finally:
        gs.reset_context()
        srv.close()
    res["load_avg_after"] = os.getloadavg()
    text = json.dumps(res, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
