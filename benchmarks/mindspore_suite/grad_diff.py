"""Differential gradients: MindSpore's public differentiable functions (ops, mint, Tensor methods,
nn.functional-style ops) on a handful of argument sets each (random normal, kinks / ties / zeros / bounds,
float16 / float64, broadcasting, Python scalars and int / bool tensors mixed in, axis / keepdim / empty-axis
variants), run in MindSpore itself and in gradserve through the rename-only shim against a real server.
Forward values and gradients are compared (rtol 1e-4 / atol 1e-5; float16: 2e-3 / 2e-3).

  python grad_diff.py run OUT_DIR [--only SUBSTR] [-v]   # both sides (MS_PYTHON, default /work/msvenv), then compare
  python grad_diff.py compare OUT_DIR/ms.jsonl OUT_DIR/gs.jsonl [-v]
  python grad_diff.py side ms|gs OUT.jsonl [--only SUBSTR]  # one side, in the Python it runs under

Modes: "pynative" (ops.value_and_grad), "graph" (ms.jit of ops.grad: a sample), "second" (the gradient of
a weighted gradient: a sample). A scalar loss is sum(out_i * w_i) over the float outputs with fixed random
weights w_i, so a gradient that is right only in its sum still shows. The cases: _grad_cases*.py. Runnable by
hand, not in CI (it needs MindSpore, kept out of the project's dependencies)."""
from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MS_PYTHON = os.environ.get("MS_PYTHON", "/work/msvenv/bin/python")
TOLERANCE = {"float16": (2e-3, 2e-3)}  # dtype -> (rtol, atol); every other dtype: rtol 1e-4 / atol 1e-5
RTOL, ATOL = 1e-4, 1e-5
CASE_TIMEOUT_S = 60


# ----------------------------------------------------------------------------------------- one side
def _encode(t) -> dict:
    import numpy as np
    a = t.asnumpy() if hasattr(t, "asnumpy") else np.asarray(t)
    dtype = str(a.dtype)
    if a.dtype.kind == "c":  # (real, imaginary) pairs
        a = np.stack([a.real, a.imag], axis=-1)
    if a.dtype.kind in "biu":
        a = a.astype(np.float64)
    return {"dtype": dtype, "shape": list(a.shape), "data": a.astype(np.float64).ravel().tolist()}


def _weights(name: str, outs: list) -> list:
    """Fixed weights (by case name) for each float output; None for the others."""
    import numpy as np
    from mindspore import Tensor
    rng = np.random.RandomState(zlib.crc32(name.encode()))
    weights = []
    for o in outs:
        a = o.asnumpy() if hasattr(o, "asnumpy") else None
        ok = a is not None and a.dtype.kind == "f"
        weights.append(Tensor(rng.uniform(0.5, 1.5, a.shape).astype(a.dtype)) if ok else None)
    return weights


def _as_list(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _weighted_loss(fn, weights):
    def loss(*args):
        outs = _as_list(fn(*args))
        total = 0
        for o, w in zip(outs, weights):
            if w is not None:
                total = total + (o * w).sum()
        return total
    return loss


def _gradients(case, mode: str, inputs: list, weights: list):
    import mindspore as ms
    from mindspore import ops
    pos = case.grad_positions()
    loss = _weighted_loss(case.fn, weights)
    if mode == "pynative":
        return ops.value_and_grad(loss, grad_position=pos)(*inputs)[1]
    if mode == "graph":
        return ms.jit(ops.grad(loss, grad_position=pos))(*inputs)
    first = ops.grad(loss, grad_position=pos)
    second_weights = _weights(case.name + "/second", [inputs[i] for i in pos])
    return ops.grad(_weighted_loss(first, second_weights), grad_position=pos)(*inputs)


def evaluate(case, mode: str) -> dict:
    import numpy as np
    from mindspore import Tensor
    inputs = [Tensor(a) if isinstance(a, np.ndarray) else a for a in case.args]
    outs = _as_list(case.fn(*inputs))
    record = {"values": [_encode(o) for o in outs], "grads": None}
    weights = _weights(case.name, outs)
    if case.grad_positions() and any(w is not None for w in weights):
        record["grads"] = [_encode(g) for g in _as_list(_gradients(case, mode, inputs, weights))]
    return record


class _Timeout(Exception):
    pass


def _on_alarm(*_):
    raise _Timeout()


def all_cases() -> list:
    import _grad_cases
    import _grad_cases_auto
    import _grad_cases_reduce
    return _grad_cases.cases() + _grad_cases_reduce.cases() + _grad_cases_auto.cases()


def side(out: str, only: str) -> None:
    """Every case x mode not yet in OUT (a rerun after a crash resumes), one JSON line each."""
    sys.path.insert(0, HERE)
    if os.environ.get("GS_SHIM") == "1":
        import conftest  # noqa: F401  (installs the mindspore -> gradserve alias)
    import mindspore as ms
    done = set()
    if os.path.exists(out):
        done = {(r["name"], r["mode"]) for r in map(json.loads, open(out))}
    signal.signal(signal.SIGALRM, _on_alarm)
    with open(out, "a") as f:
        for case in all_cases():
            for mode in case.modes:
                if only not in case.name or (case.name, mode) in done:
                    continue
                f.write(json.dumps({"name": case.name, "mode": mode, "outcome": "running"}) + "\n")
                f.flush()  # a crash leaves this line: the case counts as an error, the rerun skips it
                ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
                signal.alarm(CASE_TIMEOUT_S)
                try:
                    record = {"outcome": "ok", **evaluate(case, mode)}
                except BaseException as exc:  # noqa: BLE001 - any failure is this case's outcome
                    record = {"outcome": "error", "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                finally:
                    signal.alarm(0)
                f.write(json.dumps({"name": case.name, "mode": mode, **record}) + "\n")
                f.flush()


def _run_side(python: str, target: str, only: str, env: dict) -> None:
    size = -1
    while size != _lines(target):  # a side that crashes is restarted; it resumes after the case it died in
        size = _lines(target)
        rc = subprocess.call([python, os.path.abspath(__file__), "side", target, "--only", only], env=env,
                             cwd=HERE)
        if rc == 0:
            return
        print(f"{target}: side exited with {rc}; resuming", flush=True)


def _lines(path: str) -> int:
    return sum(1 for _ in open(path)) if os.path.exists(path) else 0


def run(folder: str, only: str, verbose: bool) -> None:
    from doc_examples import _gradserve_env
    os.makedirs(folder, exist_ok=True)
    ms_out, gs_out = os.path.join(folder, "ms.jsonl"), os.path.join(folder, "gs.jsonl")
    _run_side(MS_PYTHON, ms_out, only, dict(os.environ, PYTHONPATH=HERE))
    with _gradserve_env() as env:
        _run_side(sys.executable, gs_out, only, env)
    compare(ms_out, gs_out, verbose, only)


# ----------------------------------------------------------------------------------------- comparison
def _load(path: str) -> dict:
    records = {}
    for line in open(path):
        r = json.loads(line)
        records[r["name"], r["mode"]] = r  # the last line of a case wins ("running" alone: it crashed)
    return records


def _differ(got: dict, want: dict) -> str | None:
    """Why two encoded arrays differ, or None."""
    import numpy as np
    if got["shape"] != want["shape"]:
        return f"shape {got['shape']} vs MindSpore {want['shape']}"
    rtol, atol = TOLERANCE.get(want["dtype"], (RTOL, ATOL))
    g, w = np.array(got["data"], np.float64), np.array(want["data"], np.float64)
    with np.errstate(invalid="ignore"):  # inf - inf
        bad = ~((g == w) | (np.isnan(g) & np.isnan(w)) | (np.abs(g - w) <= atol + rtol * np.abs(w)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        return f"{int(bad.sum())}/{bad.size} differ, first at {i}: {g[i]!r} vs MindSpore {w[i]!r}"
    return None


def classify(ms: dict, gs: dict | None) -> tuple[str, str]:
    """(outcome, detail): pass / value / grad (silently wrong) / dtype / gs_error / ms_error."""
    if ms["outcome"] != "ok":
        return "ms_error", ms.get("error", "crashed")
    if gs is None or gs["outcome"] != "ok":
        return "gs_error", (gs or {}).get("error", "not run / crashed")
    for kind in ("values", "grads"):
        want, got = ms[kind], gs[kind]
        if want is None or got is None:
            if want != got:
                return kind[:-1] if kind == "grads" else "value", f"{kind}: gradserve {got is not None}, MindSpore {want is not None}"
            continue
        if len(want) != len(got):
            return kind.rstrip("s"), f"{len(got)} {kind} vs MindSpore {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            why = _differ(g, w)
            if why:
                return kind.rstrip("s"), f"{kind}[{i}] ({w['dtype']}): {why}"
    dtypes = [(g["dtype"], w["dtype"]) for g, w in zip(gs["values"] + (gs["grads"] or []),
                                                     ms["values"] + (ms["grads"] or [])) if g["dtype"] != w["dtype"]]
    if dtypes:
        return "dtype", f"dtype {dtypes[0][0]} vs MindSpore {dtypes[0][1]}"
    return "pass", ""


def compare(ms_path: str, gs_path: str, verbose: bool, only: str = "") -> None:
    ms, gs = _load(ms_path), _load(gs_path)
    ms = {key: r for key, r in ms.items() if only in key[0]}
    results = {key: classify(r, gs.get(key)) for key, r in ms.items()}
    counts = collections.Counter(o for o, _ in results.values())
    by_mode = collections.defaultdict(collections.Counter)
    for (name, mode), (outcome, _) in results.items():
        by_mode[mode][outcome] += 1
    apis = {name.split("[")[0] for name, _ in ms}
    print(f"{len(apis)} APIs, {len(ms)} case x mode runs: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    for mode, c in by_mode.items():
        print(f"  {mode}: " + ", ".join(f"{k} {v}" for k, v in c.most_common()))
    shown = ("value", "grad") + (("dtype", "gs_error") if verbose else ())
    for (name, mode), (outcome, detail) in sorted(results.items()):
        if outcome in shown:
            print(f"{outcome:8s} {mode:8s} {name}: {detail}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["run", "side", "compare"])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--only", default="", help="only the cases whose name holds this text")
    ap.add_argument("-v", action="store_true", help="also list dtype differences and gradserve errors")
    a = ap.parse_args()
    if a.command == "run":
        run(a.paths[0], a.only, a.v)
    elif a.command == "side":
        side(a.paths[0], a.only)
    else:
        compare(a.paths[0], a.paths[1], a.v, a.only)


if __name__ == "__main__":
    main()
