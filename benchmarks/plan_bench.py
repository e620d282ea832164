"""The engine's compiled plans alone, in-process, for issue #13's graphs (L1, L2, L3, W2) as the server gets them.

    python benchmarks/plan_bench.py                    # this checkout's engine
    python benchmarks/plan_bench.py --base main        # interleaved with the engine of git ref `main`

The SDK traces the workloads of benchmarks/loops_workloads.py against the in-process stand-in server of
the SDK tests (tests/clients/_fake_server.py), which records the graph documents it is sent; each is
compiled by the engine and run with `Plan.run_host` (what a worker runs per job), one BLAS thread,
median of --n calls, wall and process CPU (--threads: large products split across that many threads;
--pin: the caller on one core and the split's helpers on another, as a worker runs a lent job). With --base, the same
documents are also compiled by the engine of that git ref
(extracted to a temporary package `engine_base`) and the two plans are run alternately, call by call,
in this one process; their outputs are compared bit for bit (and, where they differ, by how much:
engine/contract.py reassociates sums). Nothing here asserts a timing.
"""
from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "clients" / "python", ROOT / "tests"):
    sys.path.insert(0, str(p))

import gradserve as gs  # noqa: E402

from benchmarks import loops_workloads as LW  # noqa: E402
from clients._fake_server import FakeServer  # noqa: E402
from engine.api import Engine  # noqa: E402
from engine.ir import tree_flatten  # noqa: E402
from engine.serialize import graph_from_json  # noqa: E402


def captured(run) -> dict:
    """The last graph document the SDK registers while `run()` calls the server."""
    srv = FakeServer()
    gs.reset_context()
    gs.set_context(server="http://fake", http_transport=httpx.MockTransport(srv), max_retries=0)
    try:
        run()
    finally:
        gs.reset_context()
    return [body for path, body in srv.requests if path == "/v1/graphs"][-1]["graph"]


def workloads() -> dict:
    """name -> (graph document, inputs, params)."""
    d = LW.dp_data()
    step, _ = LW.dp_sdk(gs, d, lr=1e-6)
    R, E, F = gs.Tensor(d["R"]), gs.Tensor(d["E"]), gs.Tensor(d["F"])
    # step 1 sends the graph with the initial weights in it, step 2 the one without (the steady state)
    l1 = captured(lambda: [step(R, E, F) for _ in range(2)])
    names = ["fit1.weight", "fit1.bias", "fit2.weight", "fit2.bias"]
    X, y = LW.logreg_data()
    W = np.random.default_rng(2000).normal(size=(2000, X.shape[1])).astype(np.float32)
    l2 = captured(lambda: gs.ops.vmap(gs.ops.grad(LW.logp_sdk(gs, X, y)))(gs.Tensor(W)))
    l3 = captured(lambda: gs.ops.value_and_grad(LW.logp_sdk(gs, X, y))(gs.Tensor(W[0])))
    from benchmarks.engine_workloads import MLP_SIZES, _mlp_params

    ps = _mlp_params(MLP_SIZES)
    x = np.random.default_rng(1).standard_normal((256, MLP_SIZES[0])).astype(np.float32)
    net = LW.mlp_sdk(gs, ps)
    w2 = captured(lambda: gs.ops.grad(net, None, net.trainable_params())(gs.Tensor(x)))
    return {"L1": (l1, [d["R"], np.asarray(d["E"]), d["F"]], dict(zip(names, d["params"]))),
            "L2": (l2, [W], None), "L3": (l3, [W[0]], None), "W2": (w2, [x], None)}


def seed_workloads() -> dict:
    """name -> (graph document, inputs, None): examples of shared/reference/seed_expected.md, as
    tests/engine/test_seed.py builds them (plans of 2-8 steps: a run's fixed cost)."""
    import importlib.util

    from engine import grad, grad_operation, jvp, vjp
    from engine.serialize import graph_to_json

    spec = importlib.util.spec_from_file_location("_seed_graphs", ROOT / "tests" / "engine" / "test_seed.py")
    S = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(S)
    v3 = np.ones(3, np.float32)
    graphs = {"S-grad-all": (grad_operation(S.matmul_net(), get_all=True), [S.X, S.Y]),
              "S-grad-weights": (grad_operation(S.matmul_net(), get_by_list=True), [S.X, S.Y]),
              "S-grad-element": (grad_operation(S.matmul_net(index=True)), [S.X, S.Y]),
              "S-jvp": (jvp(S.sin_cos_net()), [S.XS, S.YS, v3, v3]),
              "S-vjp": (vjp(S.sin_cos_net()), [S.XS, S.YS, v3]),
              "S-grad-positions": (grad(S.xyz_net(), grad_position=(1, 2)), [S.A, S.B, S.C])}
    return {k: (graph_to_json(g), xs, None) for k, (g, xs) in graphs.items()}


def w2_by_hand(x, params: list):
    """W2's gradient written out in NumPy with the plan's kernels (the same products through
    split_gemm, ufuncs into buffers, tanh' as 1 - y*y from the forward output, no dL/dx): the floor a
    plan of this graph can reach. Returns (dW1, db1, dW2, db2, dW3, db3) as the plan does."""
    from engine.backends.split_gemm import matmul

    w1, b1, w2, b2, w3, b3 = params
    a1 = matmul(x, w1)
    h1 = np.tanh(np.add(a1, b1, out=a1), out=a1)
    a2 = matmul(h1, w2)
    h2 = np.tanh(np.add(a2, b2, out=a2), out=a2)
    o = matmul(h2, w3)
    np.add(o, b3, out=o)
    go = np.add(o, o, out=o)  # d sum(o*o) / do
    g2 = matmul(go, w3.T)
    t = np.multiply(h2, h2)
    np.multiply(g2, np.subtract(1, t, out=t), out=g2)
    g1 = matmul(g2, w2.T)
    t = np.multiply(h1, h1, out=t)
    np.multiply(g1, np.subtract(1, t, out=t), out=g1)
    ones = np.ones((1, x.shape[0]), np.float32)  # column sums as GEMVs (engine/contract.py)
    return (matmul(x.T, g1), matmul(ones, g1)[0], matmul(h1.T, g2), matmul(ones, g2)[0],
            matmul(h2.T, go), matmul(ones, go)[0])


class _ByHand:
    """w2_by_hand as a plan for `timed`."""

    def __init__(self, params: list):
        self.params = params

    def run_host(self, inputs, _params=None):
        return w2_by_hand(inputs[0], self.params)


def base_engine(ref: str):
    """The engine package of git ref `ref`, imported as `engine_base`."""
    tmp = Path(tempfile.mkdtemp(prefix="plan_bench_"))
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "engine"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=tar, check=True)
    (tmp / "engine").rename(tmp / "engine_base")
    sys.path.insert(0, str(tmp))
    return (importlib.import_module("engine_base.api").Engine,
            importlib.import_module("engine_base.serialize").graph_from_json)


def timed(plans: list, inputs, params, n: int, cpu: list | None = None) -> list[float]:
    """Median seconds per run_host call of each plan, the plans called alternately (the order reversed every
    round); `cpu`, when given, gets each plan's median process CPU seconds per call (every thread's: a
    split's helpers too), which a loaded box inflates far less than the wall time."""
    for _ in range(min(n, 200)):
        for p in plans:
            p.run_host(inputs, params)
    ts: list[list[float]] = [[] for _ in plans]
    cs: list[list[float]] = [[] for _ in plans]
    order = list(zip(plans, ts, cs))
    for i in range(n):
        for p, t, c in (order if i % 2 == 0 else order[::-1]):
            t0, c0 = time.perf_counter(), time.process_time()
            p.run_host(inputs, params)
            t.append(time.perf_counter() - t0)
            c.append(time.process_time() - c0)
    if cpu is not None:
        cpu.extend(float(np.median(c)) for c in cs)
    return [float(np.median(t)) for t in ts]


def pin_as_lent(modules) -> None:
    """This thread on the first core, every split helper of each split_gemm module on the second: as a worker
    runs a lent job (service.core_lending.ThreadBudget._place). Needs two cores."""
    import os

    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[0]})
    for m in modules:
        for tid in m.helper_ids():
            os.sched_setaffinity(tid, {cores[1]})


def profile(plan, inputs, params, n: int, top: int, cpu: bool = False) -> None:
    """Median time of each step of the plan's generated program (a timer read after every line), the
    `top` costliest printed with their op and shapes. The timer adds ~0.1 us per step. cpu: the process's
    CPU time instead of wall time (every thread's: a split step's includes its helpers', who work only
    while the caller waits for them; ~1 us per read), readable on a loaded box."""
    prog = plan.program
    body, marks = [], []
    for line in prog.source.splitlines():
        body.append(line)
        if line.startswith("        def run(") or line.startswith("    def run("):
            body.append("        _T.append(_pc())")
        elif line.startswith("        ") and (" = k" in line or " = _matmul_pair(" in line
                                             or line.startswith("        u")):
            # (a pair: two products in one split_gemm split; u<k>(...): a broadcast called on swapped views)
            body.append("        _T.append(_pc())")
            marks.append(line.strip())
    ns = dict(prog.namespace, _T=[], _pc=time.process_time if cpu else time.perf_counter)
    exec(compile("\n".join(body) + "\n", "<profiled plan>", "exec"), ns)
    run = ns["__make"]([np.empty(av.shape, av.dtype) for av in prog.buf_avals])
    ps = [params[k] if params and k in params else plan.graph.param_values[k] for k in plan.param_names]
    T = ns["_T"]
    rows = []
    for i in range(n):
        T.clear()
        run(*inputs, *ps)
        rows.append(np.diff(T))
    med = np.median(np.array(rows), axis=0)
    total = float(med.sum())
    print(f"  per-step {'CPU ' if cpu else ''}medians sum to {total * 1e6:.1f} us over "
          f"{len({m.split('(')[0] if m.startswith('u') else m for m in marks})} kernel steps")
    for j in np.argsort(-med)[:top]:
        if " = _matmul_pair(" in marks[j]:
            print(f"  {med[j] * 1e6:8.1f} us {100 * med[j] / total:4.1f}%  two matmuls in one split   {marks[j]}")
            continue
        k = int(marks[j].split(" = k")[1].split("(")[0] if " = k" in marks[j] else marks[j][1:].split("(")[0])
        e = plan.step_eqns[k]
        shapes = " ".join("x".join(map(str, x.shape)) or "()" for x in e.inputs)
        attrs = {a: v for a, v in e.attrs.items() if v not in (None, False)}
        print(f"  {med[j] * 1e6:8.1f} us {100 * med[j] / total:4.1f}%  {e.op}{attrs or ''} [{shapes}] -> "
              f"{'x'.join(map(str, e.outputs[0].shape)) or '()'}   {marks[j]}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--base", help="git ref whose engine runs interleaved with this one")
    ap.add_argument("--only", help="comma-separated workloads (default: all)")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads (engine/backends/split_gemm.py)")
    ap.add_argument("--pin", action="store_true", help="the caller on one core, the split's helpers on another")
    ap.add_argument("--profile", type=int, metavar="TOP", default=0,
                    help="time each step of this checkout's plan; print the TOP costliest")
    ap.add_argument("--profile-cpu", action="store_true", help="--profile's times in process CPU, not wall")
    ap.add_argument("--seed", action="store_true", help="also the seed examples' plans (S-...)")
    args = ap.parse_args()
    base = base_engine(args.base) if args.base else None
    from engine.backends import split_gemm

    split_gemm.set_threads(args.threads)  # BLAS itself stays at one thread, as in a worker lending cores
    splits = [split_gemm]
    if base is not None:
        splits.append(importlib.import_module("engine_base.backends.split_gemm"))
        splits[-1].set_threads(args.threads)
    if args.pin:
        pin_as_lent(splits)
    with threadpool_limits(1):
        for name, (doc, inputs, params) in {**workloads(), **(seed_workloads() if args.seed else {})}.items():
            if args.only and name not in args.only.split(","):
                continue
            plans = [Engine().plan(graph_from_json(doc))]
            if base is not None:
                plans.insert(0, base[0]().plan(base[1](doc)))
            outs = [tree_flatten(p.run_host(inputs, params)) for p in plans]
            same = all(a.dtype == b.dtype and a.tobytes() == b.tobytes() for a, b in zip(outs[0], outs[-1]))
            # largest difference of an output, relative to that output's largest magnitude
            diff = max(float(np.max(np.abs(np.asarray(a, np.float64) - b)) / max(float(np.max(np.abs(b))), 1e-30))
                       for a, b in zip(outs[-1], outs[0]))
            cpu: list = []
            meds = timed(plans, inputs, params, args.n, cpu)
            line = f"{name}: {len(plans[-1].steps)} steps, median {meds[-1] * 1e6:.1f} us (CPU {cpu[-1] * 1e6:.1f} us)"
            if base is not None:
                line += (f"; {args.base}: {len(plans[0].steps)} steps, {meds[0] * 1e6:.1f} us (CPU {cpu[0] * 1e6:.1f} "
                         f"us) (this / base {meds[-1] / meds[0]:.3f}x, CPU {cpu[-1] / cpu[0]:.3f}x), "
                         f"outputs bit-identical: {same}"
                         + ("" if same else f" (largest difference {diff:.1e} of the output's scale)"))
            if name == "W2":  # the NumPy floor, interleaved with the plan
                plan = plans[-1]
                hand = _ByHand([plan.graph.param_values[k] for k in plan.param_names])
                ref, got = tree_flatten(plan.run_host(inputs, params)), hand.run_host(inputs)
                d = max(float(np.max(np.abs(np.asarray(a, np.float64) - b)) / max(float(np.max(np.abs(b))), 1e-30))
                        for a, b in zip(got, ref))
                t_plan, t_hand = timed([plan, hand], inputs, params, max(args.n // 10, 20))
                line += (f"; hand-written NumPy {t_hand * 1e6:.1f} us (plan / hand {t_plan / t_hand:.2f}x, "
                         f"largest difference {d:.1e} of the output's scale)")
            print(line, flush=True)
            if args.profile:
                profile(plans[-1], inputs, params, min(args.n, 1000), args.profile, args.profile_cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
