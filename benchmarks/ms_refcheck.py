"""Round 22, part 3: the programs of an ms_differential.py run (OUT/programs.jsonl, ms.jsonl, gs.jsonl) that MindSpore
refused and gradserve answered, checked against a reference that is not gradserve:

  - where MindSpore answered the same program in the other mode (a GRAPH_MODE-only refusal): that answer;
  - else the program run again with every derivative operator of its text (ops.jvp / grad / vjp / GradOperation,
    ms.jacfwd / jacrev, ops.vmap of those; ms.jit as the identity) replaced by central finite differences in float64
    arithmetic, over MindSpore's PyNative forward (`--ref ms`, run under MS_PYTHON) or over gradserve's own forward
    (default: checks our derivatives only); for MindSpore, LayerNorm axes below -1 written from the front.

  python ms_refcheck.py OUT [OUT...] [--ref ms] [--only SUBSTRING...] [--mutate 1.01]
(--mutate scales ours before comparing: the check must then report every program.) Runnable by hand, not in CI."""
from __future__ import annotations

import argparse
import collections
import json
import linecache
import os
import sys
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "mindspore_suite")]
STEP = {"float64": 1e-6, "float32": 3e-3, "float16": 3e-2}  # central differences: truncation ~ h^2, rounding ~ eps / h
TOLERANCE = {"float64": 1e-5, "float32": 2e-3, "float16": 5e-2}  # max |ref - ours| / max(1, max |ref|)


def _load(path: str) -> dict:
    return {r["name"]: r for r in map(json.loads, open(path)) if r.get("outcome") != "running"} if os.path.exists(path) else {}


def refused(folders: list[str]) -> list[dict]:
    """Every program MindSpore refused and gradserve answered, with MindSpore's other-mode answer where it has one."""
    rows = []
    for folder in folders:
        ms, gs = _load(os.path.join(folder, "ms.jsonl")), _load(os.path.join(folder, "gs.jsonl"))
        for prog in map(json.loads, open(os.path.join(folder, "programs.jsonl"))):
            name = prog["name"]
            if ms.get(name, {}).get("outcome") == "error" and gs.get(name, {}).get("outcome") == "ok":
                base, mode = name.rsplit("@", 1)
                other = ms.get(f"{base}@{'pynative' if mode == 'graph' else 'graph'}")
                rows.append({"prog": prog, "ms_error": ms[name]["error"], "ours": gs[name],
                             "other_mode": other if other and other["outcome"] == "ok" else None})
    return rows


# ----------------------------------------------------------------------------------------- finite differences
def _operators(ms, ops, Tensor):
    """The derivative operators of a program's text, by central differences of its forward."""
    from ms_differential import _flat

    def arr(t):
        return t.asnumpy()

    def make(a, dtype):
        return Tensor(np.asarray(a).astype(dtype))

    def flat64(out):
        return [arr(o).astype(np.float64) if hasattr(o, "asnumpy") else np.asarray(o, np.float64) for o in _flat(out)]

    def total(out):
        return sum(float(v.sum()) for v in flat64(out))

    def central(eval_at, a, dtype, reduce):
        """(reduce(f(a + h e_i)) - reduce(f(a - h e_i))) / 2h for every entry i, stacked after f's shape."""
        h, cols = STEP[dtype], []
        for idx in np.ndindex(*a.shape):
            ends = []
            for sign in (1, -1):
                b = a.copy()
                b[idx] += sign * h
                ends.append(reduce(eval_at(make(b, dtype))))
            cols.append((ends[0] - ends[1]) / (2 * h))
        out = np.stack(cols, axis=-1) if cols else np.zeros(())
        return out.reshape(np.shape(cols[0]) + a.shape) if cols else out

    def grad_of(loss, xs, pos):
        a, dtype = arr(xs[pos]).astype(np.float64), str(arr(xs[pos]).dtype)
        return make(central(lambda t: loss(*xs[:pos], t, *xs[pos + 1:]), a, dtype, total), dtype)

    def params_grad(loss, params, xs):
        grads = []
        for p in params:
            a, dtype = arr(p).astype(np.float64), str(arr(p).dtype)

            def at(t, p=p):
                p.set_data(t)
                return loss(*xs)
            grads.append(make(central(at, a, dtype, total), dtype))
            p.set_data(make(a, dtype))
        return tuple(grads)

    def tup(p):
        return p if isinstance(p, tuple) else (p,)

    def jvp(fn, inputs, tangents, has_aux=False):
        xs, ts = (list(inputs), list(tangents)) if isinstance(inputs, (tuple, list)) else ([inputs], [tangents])
        out = fn(*xs)
        h = min(STEP[str(arr(x).dtype)] for x in xs)
        ends = [flat64(fn(*[make(arr(x).astype(np.float64) + s * h * arr(t).astype(np.float64), str(arr(x).dtype))
                            for x, t in zip(xs, ts)])) for s in (1, -1)]
        d = [make((p - m) / (2 * h), str(arr(o).dtype)) for p, m, o in zip(*ends, _flat(out))]
        return out, d[0] if len(d) == 1 else tuple(d)

    def vjp(fn, *xs):
        def back(sens):
            gs = [grad_of(lambda *ys: fn(*ys) * sens, list(xs), i) for i in range(len(xs))]
            return gs[0] if len(gs) == 1 else tuple(gs)
        return fn(*xs), back

    def grad(fn, grad_position=0, weights=None, has_aux=False):
        assert not has_aux, "has_aux: not drawn in round 22's refused programs"

        def run(*xs):
            gs = tuple(grad_of(fn, list(xs), p) for p in tup(grad_position))
            g = gs if isinstance(grad_position, tuple) else gs[0]
            return g if weights is None else (g, params_grad(fn, weights, xs))
        return run

    class GradOperation:
        def __init__(self, get_all=False, get_by_list=False, sens_param=False):
            self.get_all, self.get_by_list, self.sens_param = get_all, get_by_list, sens_param

        def __call__(self, fn, params=None):
            def run(*xs):
                xs = list(xs)
                loss = fn
                if self.sens_param:
                    sens = xs.pop()
                    loss = lambda *ys: fn(*ys) * sens  # noqa: E731
                inputs = tuple(grad_of(loss, xs, i) for i in range(len(xs)))
                if self.get_by_list:
                    by_list = params_grad(loss, params, xs)
                    return (inputs, by_list) if self.get_all else by_list
                return inputs if self.get_all else inputs[0]
            return run

    def jac(fn, grad_position=0, has_aux=False):
        def run(*xs):
            first = (lambda *ys: _flat(fn(*ys))[0]) if has_aux else fn
            dtype = str(arr(first(*xs)).dtype)
            js = []
            for p in tup(grad_position):
                a, in_dtype = arr(xs[p]).astype(np.float64), str(arr(xs[p]).dtype)
                js.append(make(central(lambda t: first(*xs[:p], t, *xs[p + 1:]), a, in_dtype,
                                       lambda o: flat64(o)[0]), dtype))
            j = tuple(js) if isinstance(grad_position, tuple) else js[0]
            return (j, _flat(fn(*xs))[1]) if has_aux else j
        return run

    def vmap(fn, in_axes=0, out_axes=0):
        def run(*xs):
            axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(xs)
            n = next(arr(x).shape[a] for x, a in zip(xs, axes) if a is not None)
            rows = [arr(_flat(fn(*[x if a is None else make(np.take(arr(x), i, axis=a), str(arr(x).dtype))
                                   for x, a in zip(xs, axes)]))[0]) for i in range(n)]
            return make(np.stack(rows, axis=out_axes), str(rows[0].dtype))
        return run

    class Holder(types.SimpleNamespace):
        def __init__(self, real, **over):
            super().__init__(**over)
            object.__setattr__(self, "_real", real)

        def __getattr__(self, name):
            return getattr(self._real, name)
    return (Holder(ms, jacfwd=jac, jacrev=jac, jit=lambda f, *a, **k: f, grad=grad, vjp=vjp, jvp=jvp, vmap=vmap),
            Holder(ops, jvp=jvp, vjp=vjp, grad=grad, GradOperation=GradOperation, vmap=vmap))


def positive_layernorm_axes(src: str) -> str:
    """nn.LayerNorm's begin_norm_axis / begin_params_axis below -1 written from the front (rank + axis, the input's
    rank from the program's first input): the same layer, which MindSpore 2.10 accepts (it refuses "should be in the
    range [-1, rank)")."""
    import re
    rank = len(re.search(r"inputs = \[T\('\w+', \(([^)]*)\)", src).group(1).rstrip(",").split(","))
    return re.sub(r"(begin_(?:norm|params)_axis)=(-\d+)", lambda m: f"{m.group(1)}={rank + int(m.group(2))}", src)


def finite_differences(prog: dict, on_mindspore: bool) -> list:
    import mindspore as ms
    import mindspore.numpy as mnp
    from mindspore import Tensor, mint, nn, ops
    from mindspore.mint.nn import functional
    from grad_diff import _encode
    from ms_differential import _flat, make_tensor
    graph = prog.get("context") == "graph" and not on_mindspore  # MindSpore's forward: PyNative (its GRAPH_MODE refuses)
    ms.set_context(mode=ms.GRAPH_MODE if graph else ms.PYNATIVE_MODE)
    fd_ms, fd_ops = _operators(ms, ops, Tensor)
    module = types.ModuleType("_ms_refcheck_program")
    filename = f"<ms_refcheck {prog['name']}>"
    module.__dict__.update({"ms": fd_ms, "ops": fd_ops, "nn": nn, "mint": mint, "F": functional, "Tensor": Tensor,
                            "T": make_tensor, "mnp": mnp})
    src = positive_layernorm_axes(prog["src"]) if on_mindspore and "nn.LayerNorm" in prog["src"] else prog["src"]
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    exec(compile(src, filename, "exec"), module.__dict__)  # noqa: S102 - text ms_differential generated
    return [_encode(o) for o in _flat(module.__dict__["f"](*module.__dict__["inputs"]))]


def difference(ref: list, ours: list, mutate: float = 1.0) -> tuple[float, str | None]:
    """(the largest scaled difference, what is wrong or None)."""
    if len(ref) != len(ours):
        return float("inf"), f"{len(ours)} outputs vs the reference's {len(ref)}"
    worst = 0.0
    for i, (a, b) in enumerate(zip(ref, ours)):
        if a["shape"] != b["shape"]:
            return float("inf"), f"output {i}: shape {b['shape']} vs {a['shape']}"
        x, y = np.array(a["data"]), np.array(b["data"]) * mutate
        if not x.size:
            continue
        err = float(np.abs(x - y).max() / max(1.0, np.abs(x).max()))
        worst = max(worst, err)
        if not err <= TOLERANCE.get(a["dtype"], 2e-3):
            return err, f"output {i} ({b['dtype']}): {err:.3g}; reference {np.round(x[:6], 4)} ours {np.round(y[:6], 4)}"
    return worst, None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--ref", choices=["gs", "ms"], default="gs", help="whose forward the finite differences run over")
    ap.add_argument("--only", nargs="*", default=[], help="programs whose name contains one of these")
    ap.add_argument("--mutate", type=float, default=1.0)
    args = ap.parse_args()
    if args.ref == "gs":
        os.environ["GS_SHIM"] = "1"
        import conftest  # noqa: F401  (mindspore_suite's: `import mindspore` gives gradserve)
    from grad_diff import classify
    counts = collections.Counter()
    for row in refused(args.folders):
        name = row["prog"]["name"]
        if args.only and not any(s in name for s in args.only):
            continue
        if row["other_mode"] is not None:
            how = "other mode"
            ours = dict(row["ours"], values=[dict(v, data=[d * args.mutate for d in v["data"]]) for v in row["ours"]["values"]])
            outcome, detail = classify(row["other_mode"], ours)
            worst, bad = 0.0, None if outcome == "pass" else f"{outcome}: {detail[:200]}"
        else:
            how = "finite differences"
            try:
                ref = finite_differences(row["prog"], args.ref == "ms")
            except Exception as exc:  # noqa: BLE001 - a reference that cannot run is reported, not judged
                counts["no reference"] += 1
                print(f"no reference  {name}: {type(exc).__name__}: {str(exc)[:150]}", flush=True)
                continue
            worst, bad = difference(ref, row["ours"]["values"], args.mutate)
        counts["differs" if bad else "agrees"] += 1
        print(f"{'DIFFERS' if bad else 'agrees '}  {name} [{how}] {worst:.2g} {bad or ''}", flush=True)
    print(dict(counts))


if __name__ == "__main__":
    main()
