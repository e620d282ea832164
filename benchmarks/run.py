"""Run W1-W6 for gradserve and its peers; write benchmarks/results/engine.json and benchmarks/REPORT.md.

    python -m benchmarks.run            # full run (a few minutes on 2 cores)
    python -m benchmarks.run --quick    # fewer rounds, main sizes only
    python -m benchmarks.run --only W1,W4

Run with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (`make bench` does not set them;
`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.run` if your shell does).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from . import engine_workloads as ew
from .report import write_report
from .timing import interleaved

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

PEERS = ("jax", "torch", "numpy")


def machine_info() -> dict:
    info = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "note": "shared machine, 2 noisy cores: other engineers run tests in parallel; "
                "medians of interleaved rounds, compare ratios not absolute times",
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS",
                                                "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "versions": ew.peer_versions(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["threadpoolctl"] = [{k: d.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                                 for d in threadpool_info()]
    except ImportError:
        info["threadpoolctl"] = "not installed"
        try:
            blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
            info["numpy_blas_build"] = {k: blas.get(k) for k in ("name", "version", "openblas configuration")}
        except Exception:
            pass
    return info


def bench_workload(w: ew.Workload, rounds: int, target_s: float) -> dict:
    errs = ew.check_close(w)  # a wrong fast answer is never reported
    t = interleaved(w.fns, rounds=rounds, target_s=target_s)
    g = t.get("gradserve", {}).get("median_s")
    ratios = {p: g / t[p]["median_s"] for p in PEERS if p in t and g}
    row = {"id": w.wid, "work": w.desc, "size": w.size, "timings": t, "ratios_gradserve_over": ratios,
           "max_rel_err_vs_reference": errs, "gradserve_nodes": w.nodes, "gradserve_compile_s": w.compile_s,
           "missing_peers": [p for p in ("jax", "torch", "mindspore", "numpy") if p not in t]}
    print(f"{w.wid:3s} {w.size:14s} " + "  ".join(f"{k}={v['median_s']:.3g}s" for k, v in t.items())
          + "  | " + " ".join(f"gs/{k}={v:.2f}" for k, v in ratios.items()), flush=True)
    return row


def w6_exec(max_order: int, rounds: int, jax_max_order: int = 3) -> list[dict]:
    """Cost growth with derivative order: run time of d^n/dx^n of the W6 chain (nth_grad, as
    GradOperation nested n times), gradserve vs JAX jit of nested jax.grad. JAX only up to
    jax_max_order: its jit compile of order 4 takes about two minutes on this machine."""
    from engine import Engine, nth_grad

    rows = []
    x = np.random.default_rng(6).uniform(-1, 1, 8).astype(np.float32)
    jax = ew._jax()
    g = ew.chain_graph()
    for order in range(1, max_order + 1):
        d = nth_grad(g, order)
        eng = Engine()
        t0 = time.perf_counter()
        eng.plan(d)
        plan_s = time.perf_counter() - t0
        fns = {"gradserve": (lambda e, dd: lambda: e.run(dd, [x]))(eng, d)}
        jit_s = None
        if jax and order <= jax_max_order:
            import jax.numpy as jnp

            ops = {"sin": jnp.sin, "tanh": jnp.tanh, "cos": jnp.cos, "sigmoid": jax.nn.sigmoid, "atan": jnp.arctan}

            def f(z):
                for i in range(50):
                    z = ops[ew.CHAIN_OPS[i % 5]](z)
                return jnp.sum(z)

            for _ in range(order - 1):
                f = (lambda h: lambda z: jnp.sum(jax.grad(h)(z)))(f)
            jf = jax.jit(jax.grad(f))
            xj = jnp.asarray(x)
            t0 = time.perf_counter()
            ref = np.asarray(jf(xj))
            jit_s = time.perf_counter() - t0
            np.testing.assert_allclose(eng.run(d, [x]), ref, rtol=2e-3, atol=2e-3 * max(1.0, float(np.abs(ref).max())))
            fns["jax"] = lambda jf=jf, xj=xj: np.asarray(jf(xj))
        t = interleaved(fns, rounds=rounds, target_s=0.02)
        row = {"order": order, "timings": t, "gradserve_plan_s": plan_s}
        if jit_s is not None:
            row["jax_first_call_s"] = jit_s
            row["ratio_gradserve_over_jax"] = t["gradserve"]["median_s"] / t["jax"]["median_s"]
        print(f"W6 exec order {order}: " + "  ".join(f"{k}={v['median_s']:.3g}s" for k, v in t.items())
              + f"  (gradserve plan {plan_s:.2f}s" + (f", JAX first call {jit_s:.2f}s)" if jit_s else ")"), flush=True)
        rows.append(row)
    return rows


def run_variant(a, rounds: int) -> int:
    """W1-W5 again under another BLAS thread count, merged into the main results as a variant."""
    out = Path(a.out)
    res = json.loads(out.read_text())
    name = f"OPENBLAS_NUM_THREADS={a.blas_threads}"
    rows = []
    for wid, fn, kw in [("W1", ew.w1, {}), ("W2", ew.w2, {"batch": 256}), ("W3", ew.w3, {"npts": 1024}),
                        ("W4", ew.w4, {"n": 1_000_000}), ("W5", ew.w5, {"npts": 1024})]:
        rows.append(bench_workload(fn(**kw), rounds, 0.05 if wid != "W1" else 0.02))
    res.setdefault("variants", {})[name] = {"machine": machine_info(), "workloads": rows}
    _save(res, out, Path(a.report))
    print(f"merged variant {name} into {out} and {a.report}")
    return 0


def _save(res: dict, out: Path, report: Path) -> None:
    """The results JSON (written whole, then renamed: never half a file) and the report made from it."""
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(res, indent=1, default=str))
    tmp.replace(out)
    write_report(res, report)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer rounds, main sizes only")
    ap.add_argument("--only", default="", help="comma-separated workload ids (W1..W6)")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--out", default=str(RESULTS / "engine.json"))
    ap.add_argument("--report", default=str(HERE / "REPORT.md"))
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="rerun W1-W5 with OPENBLAS_NUM_THREADS=N and merge them into --out as a variant")
    a = ap.parse_args(argv)
    if a.blas_threads is not None and os.environ.get("OPENBLAS_NUM_THREADS") != str(a.blas_threads):
        # the thread count is read when NumPy loads OpenBLAS: start again with it set
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.blas_threads))
        os.execve(sys.executable, [sys.executable, "-m", "benchmarks.run", *(argv or sys.argv[1:])], env)
    only = {s.strip().upper() for s in a.only.split(",") if s.strip()}
    rounds = a.rounds or (7 if a.quick else 15)
    want = lambda wid: not only or wid in only  # noqa: E731

    if a.blas_threads is not None:
        return run_variant(a, rounds)
    info = machine_info()
    print(json.dumps({k: info[k] for k in ("date_utc", "cpu_count", "versions", "env")}), flush=True)
    results: dict = {"machine": info, "workloads": [], "growth": [], "w6": None}
    notes = HERE / "NOTES.md"  # hand-written findings, carried into the report
    if notes.exists():
        results["notes"] = notes.read_text()
    t_start = time.perf_counter()
    main_cases = [("W1", ew.w1, {}), ("W2", ew.w2, {"batch": 256}), ("W3", ew.w3, {"npts": 1024}),
                  ("W4", ew.w4, {"n": 1_000_000}), ("W5", ew.w5, {"npts": 1024})]
    for wid, fn, kw in main_cases:
        if want(wid):
            results["workloads"].append(bench_workload(fn(**kw), rounds, 0.05 if wid != "W1" else 0.02))
    if not a.quick:
        growth = [("W2", ew.w2, {"batch": 64}), ("W2", ew.w2, {"batch": 1024}),
                  ("W4", ew.w4, {"n": 10_000}), ("W4", ew.w4, {"n": 100_000}),
                  ("W3", ew.w3, {"npts": 256}), ("W3", ew.w3, {"npts": 4096}),
                  ("W5", ew.w5, {"npts": 256}), ("W5", ew.w5, {"npts": 4096})]
        for wid, fn, kw in growth:
            if want(wid):
                results["growth"].append(bench_workload(fn(**kw), max(5, rounds // 2), 0.05))
    if want("W6"):
        results["w6"] = ew.w6(max_order=6)
        for r in results["w6"]["rows"]:
            print(f"W6 order {r['order']}: nodes {r['nodes']} (jaxpr {r.get('jax_jaxpr_eqns')}) "
                  f"local degree {r['local_degree'] or float('nan'):.2f} "
                  f"lower {r['lower_s']:.3f}s compile {r['compile_s']:.3f}s", flush=True)
        results["w6"]["exec"] = w6_exec(3 if a.quick else 6, max(5, rounds // 2))
    results["total_s"] = time.perf_counter() - t_start
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _save(results, out, Path(a.report))
    print(f"wrote {out} and {a.report} in {results['total_s']:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
