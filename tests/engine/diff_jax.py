"""Differential hunt (opt-in, not collected by pytest): elementwise ops and reductions against JAX.

    PYTHONPATH=$PWD:$PWD/tests python -m tests.engine.diff_jax --seed 0 --cases 20

For each op with a JAX counterpart, random cases beyond the op table's single valid case: broadcast shapes
with size-1 and size-0 dims, rank 0, negative axes / keepdims, float32 and float64, special values (+-0,
+-inf, NaN, huge, tiny); then vjp, jvp, grad of grad and vmap (in_axes 0 / 1 / None mixes) against
jax.vjp / jax.jvp / jax.vmap. Prints one line per disagreement and a summary; exit status 1 if any.
A disagreement is a lead, not a verdict: the referee is MindSpore's documented semantics, then finite
differences / hand derivation (see the report of the run that found it, and tests/engine/ for the fixes).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

import jax
import jax.numpy as jnp
import jax.scipy.special as jss

from engine import api
from engine.api import GraphBuilder
from engine.ir import tree_flatten
from engine.transforms import grad, jvp, vjp
from engine.vmap import vmap_graph

# op -> (jax fn, domain (lo, hi), smooth: derivatives compared away from kinks)
UNARY = {
    "abs": (jnp.abs, (-2, 2), True), "acos": (jnp.arccos, (-0.95, 0.95), True),
    "acosh": (jnp.arccosh, (1.05, 4), True), "asin": (jnp.arcsin, (-0.95, 0.95), True),
    "asinh": (jnp.arcsinh, (-3, 3), True), "atan": (jnp.arctan, (-3, 3), True),
    "atanh": (jnp.arctanh, (-0.95, 0.95), True), "ceil": (jnp.ceil, (-3, 3), True),
    "cos": (jnp.cos, (-3, 3), True), "cosh": (jnp.cosh, (-3, 3), True),
    "digamma": (jss.digamma, (0.2, 5), True), "erf": (jss.erf, (-2, 2), True),
    "erfinv": (jss.erfinv, (-0.95, 0.95), True),
    "exp": (jnp.exp, (-3, 3), True), "expm1": (jnp.expm1, (-3, 3), True),
    "floor": (jnp.floor, (-3, 3), True), "lgamma": (jss.gammaln, (0.2, 5), True),
    "log": (jnp.log, (0.1, 5), True), "log1p": (jnp.log1p, (-0.9, 3), True),
    "neg": (jnp.negative, (-3, 3), True), "reciprocal": (jnp.reciprocal, (0.2, 3), True),
    "relu": (jax.nn.relu, (-2, 2), True), "round": (jnp.round, (-3, 3), True),
    "rsqrt": (jax.lax.rsqrt, (0.1, 4), True), "sigmoid": (jax.nn.sigmoid, (-4, 4), True),
    "sign": (jnp.sign, (-2, 2), True), "sin": (jnp.sin, (-3, 3), True),
    "sinh": (jnp.sinh, (-3, 3), True), "softplus": (jax.nn.softplus, (-4, 4), True),
    "sqrt": (jnp.sqrt, (0.1, 4), True), "square": (jnp.square, (-3, 3), True),
    "tan": (jnp.tan, (-1.2, 1.2), True), "tanh": (jnp.tanh, (-3, 3), True),
}
BINARY = {
    "add": (jnp.add, (-3, 3)), "sub": (jnp.subtract, (-3, 3)), "mul": (jnp.multiply, (-3, 3)),
    "div": (jnp.divide, (0.3, 3)), "pow": (jnp.power, (0.3, 2)), "maximum": (jnp.maximum, (-3, 3)),
    "minimum": (jnp.minimum, (-3, 3)), "atan2": (jnp.arctan2, (-3, 3)), "fmod": (jnp.fmod, (0.3, 3)),
    "remainder": (jnp.remainder, (0.3, 3)),
}


def _lse(x, axis=None, keepdims=False):
    return jss.logsumexp(x, axis=axis, keepdims=keepdims)


REDUCE = {"sum": jnp.sum, "mean": jnp.mean, "max": jnp.max, "min": jnp.min, "prod": jnp.prod, "logsumexp": _lse}
# no subnormals: XLA on CPU flushes them to zero (jax says ceil(5e-324) == 0), a JAX artefact, not a lead

def _cum(fn):
    def f(x, axis, reverse):
        x = jnp.flip(x, axis) if reverse else x
        y = fn(x, axis=axis)
        return jnp.flip(y, axis) if reverse else y
    return f


AXIS_OPS = {"softmax": lambda x, axis, reverse: jax.nn.softmax(x, axis=axis),
            "log_softmax": lambda x, axis, reverse: jax.nn.log_softmax(x, axis=axis),
            "cumsum": _cum(jnp.cumsum), "cumprod": _cum(jnp.cumprod)}
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e300, 1e-300, 1.0, -1.0, 0.5, -0.5, 2.5])

# Special points where gradserve follows MindSpore 2.10 (checked in its venv) and JAX differs: not compared.
KNOWN = {
    ("relu", "value"): ([np.nan], "MindSpore ops.relu(nan) = 0 (max(x, 0)); JAX nan"),
    ("abs", "f'"): ([0.0, np.nan], "MindSpore abs' = sign: 0 at 0 (JAX 1); at NaN MindSpore 0, gradserve NaN, JAX -1"),
    ("digamma", "value"): ([0.0], "MindSpore / SciPy / torch digamma(+-0) = -+inf; JAX nan"),
    ("lgamma", "f'"): ([0.0], "lgamma' = digamma, as above"),
    ("digamma", "f'"): ([np.inf], "polygamma(1, inf) = 0 (the limit); JAX nan"),
}


def _without(xs, op, what):
    drop, _ = KNOWN.get((op, what), ([], ""))
    keep = np.ones(xs.shape, bool)
    for d in drop:
        keep &= ~(np.isnan(xs) if np.isnan(d) else xs == d)
    return xs[keep]


BACKEND = ["numpy"]


def evaluate(g, *xs):
    return api.evaluate(g, *xs, backend=BACKEND[0])


class Hunt:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.found: list[str] = []
        self.cases = 0
        self.ops: set[str] = set()

    def report(self, what, got, want):
        line = f"DIFF {what}\n  gradserve={np.array2string(np.asarray(got), threshold=12)}\n  jax      ={np.array2string(np.asarray(want), threshold=12)}"
        self.found.append(line)
        print(line, flush=True)

    def compare(self, what, got, want, dtype, cond=1.0, exact=False):
        got, want = np.asarray(got), np.asarray(want)
        if got.shape != want.shape:
            return self.report(f"{what}: shape {got.shape} vs {want.shape}", got, want)
        if str(got.dtype) != str(want.dtype) and not (got.size == 0):
            return self.report(f"{what}: dtype {got.dtype} vs {want.dtype}", got, want)
        g64, w64 = got.astype(np.float64), want.astype(np.float64)
        nan_g, nan_w = np.isnan(g64), np.isnan(w64)
        if (nan_g != nan_w).any():
            return self.report(f"{what}: NaN pattern", got, want)
        ok = ~nan_w
        if exact:
            bad = (g64[ok] != w64[ok]) | (np.signbit(g64[ok]) != np.signbit(w64[ok]))
            if bad.any():
                return self.report(f"{what}: exact", got, want)
            return
        inf = np.isinf(w64) & ok
        if (g64[inf] != w64[inf]).any() or np.isinf(g64[ok & ~inf]).any():
            return self.report(f"{what}: inf pattern", got, want)
        fin = ok & ~inf
        eps = 1e-12 if dtype == "float64" else 2e-5
        scale = np.maximum(np.abs(w64[fin]), 1.0)
        if (np.abs(g64[fin] - w64[fin]) > eps * cond * scale).any():
            err = float(np.max(np.abs(g64[fin] - w64[fin]) / scale))
            return self.report(f"{what}: rel err {err:.3g}", got, want)

    # -- shapes ------------------------------------------------------------------------------------
    def bshapes(self):
        """Two broadcast-compatible shapes, with size-0 / size-1 dims and rank 0 in the mix."""
        rank = int(self.rng.integers(0, 4))
        full = [int(self.rng.choice([0, 1, 2, 3])) if self.rng.random() < 0.15 else int(self.rng.integers(1, 4))
                for _ in range(rank)]
        def sub():
            r = int(self.rng.integers(0, rank + 1))
            return tuple(d if self.rng.random() < 0.7 else 1 for d in full[rank - r:])
        return sub(), sub()

    def draw(self, shape, lo, hi, dtype):
        return np.asarray(self.rng.uniform(lo, hi, shape), dtype)

    # -- runners -----------------------------------------------------------------------------------
    def graph(self, shapes, dtype, body):
        gb = GraphBuilder("f")
        xs = [gb.input(s, dtype, f"x{i}") for i, s in enumerate(shapes)]
        return gb.build(body(gb, *xs))

    def derivs(self, what, g, jf, xs, dtype, cond):
        """vjp, jvp, grad-of-grad (via jvp of vjp) against JAX at xs."""
        jxs = [jnp.asarray(x) for x in xs]
        out, pull = jax.vjp(jf, *jxs)
        v = np.asarray(self.rng.standard_normal(np.shape(out)), dtype)
        us = [np.asarray(self.rng.standard_normal(x.shape), dtype) for x in xs]
        _, cts = evaluate(vjp(g), *xs, v)
        want = pull(jnp.asarray(v))
        for i, (c, w) in enumerate(zip(tree_flatten(cts), want)):
            self.compare(f"{what} vjp[{i}]", c, w, dtype, cond)
        _, tan = evaluate(jvp(g), *xs, *us)
        _, jt = jax.jvp(jf, tuple(jxs), tuple(jnp.asarray(u) for u in us))
        self.compare(f"{what} jvp", tan, jt, dtype, cond)
        # second order: d/dx <v, f(x)> along u, i.e. jvp of vjp (reverse over forward in jax)
        vg = vjp(g)
        n = len(xs)
        g2 = jvp(vg, positions=tuple(range(n)))
        res = tree_flatten(evaluate(g2, *xs, v, *us))
        got2 = res[-n:]
        def pullback(*a):
            return jax.vjp(jf, *a)[1](jnp.asarray(v))
        _, want2 = jax.jvp(pullback, tuple(jxs), tuple(jnp.asarray(u) for u in us))
        for i, (c, w) in enumerate(zip(got2, want2)):
            self.compare(f"{what} jvp-of-vjp[{i}]", c, w, dtype, 10 * cond)
        # grad of grad of sum(f) (GradOperation twice on a scalar)
        if n == 1 and dtype == "float64":
            def s(gb, *a):
                return gb.sum(g_body(gb, *a))
            g_body = self._body
            gs = self.graph([x.shape for x in xs], dtype, s)
            gg = grad(grad(gs, 0), 0)
            want_gg = jax.grad(lambda a: jnp.sum(jax.grad(lambda b: jnp.sum(jf(b)))(a)))(jxs[0])
            self.compare(f"{what} grad-of-grad", evaluate(gg, *xs), want_gg, dtype, 10 * cond)

    def vmapped(self, what, g, jf, xs, dtype, cond):
        """vmap over in_axes mixes of 0 / 1 / None against jax.vmap."""
        B = 2
        axes, args = [], []
        for x in xs:
            choices = [None, 0] + ([1] if x.ndim >= 1 else [])
            ax = choices[int(self.rng.integers(0, len(choices)))]
            axes.append(ax)
            if ax is None:
                args.append(x)
            else:
                stacked = np.stack([x] + [np.asarray(self.rng.permutation(x.ravel()).reshape(x.shape), dtype)
                                          for _ in range(B - 1)], axis=ax)
                args.append(stacked)
        if all(a is None for a in axes):
            return
        got = evaluate(vmap_graph(g, B, in_axes=axes), *args)
        want = jax.vmap(jf, in_axes=tuple(axes))(*[jnp.asarray(a) for a in args])
        self.compare(f"{what} vmap in_axes={axes}", got, want, dtype, cond)
        if not self.with_derivs:
            return
        # per-example gradients: vmap of vjp (the cotangent batched on axis 0)
        v = np.asarray(self.rng.standard_normal(np.shape(want)), dtype)
        _, cts = evaluate(vmap_graph(vjp(g), B, in_axes=axes + [0]), *args, v)
        def per(*a):
            return jax.vjp(jf, *a[:-1])[1](a[-1])
        wcts = jax.vmap(per, in_axes=tuple(axes) + (0,))(*[jnp.asarray(a) for a in args], jnp.asarray(v))
        for i, (c, w) in enumerate(zip(tree_flatten(cts), wcts)):
            self.compare(f"{what} vmap(vjp)[{i}] in_axes={axes}", c, w, dtype, cond)

    def run_case(self, what, shapes, dtype, body, jf, xs, cond=1.0, derivs=True):
        self.cases += 1
        self._body = body
        self.with_derivs = derivs
        try:
            g = self.graph(shapes, dtype, body)
            got = evaluate(g, *xs)
            self.compare(f"{what} value", got, jf(*[jnp.asarray(x) for x in xs]), dtype, cond)
            if derivs:
                self.derivs(what, g, jf, xs, dtype, cond)
            self.vmapped(what, g, jf, xs, dtype, cond)
        except Exception as e:  # a refusal where JAX computes is a finding too
            self.report(f"{what}: raised {type(e).__name__}: {str(e)[:200]}", "-", "-")

    # -- families ----------------------------------------------------------------------------------
    def unary(self, op, dtype):
        jf, (lo, hi), _ = UNARY[op]
        shape = self.bshapes()[0]
        x = self.draw(shape, lo, hi, dtype)
        body = lambda b, a: b.emit(op, [a], {})[0]
        self.run_case(f"{op}[{dtype} {shape}]", [shape], dtype, body, jf, [x])
        with np.errstate(all="ignore"):
            xs = _without(SPECIAL.astype(dtype), op, "value")
            self.run_case(f"{op}[{dtype} special]", [xs.shape], dtype, body, jf, [xs], derivs=False)
            self.special_grad(op, dtype, body, jf, _without(SPECIAL.astype(dtype), op, "f'"))

    def special_grad(self, op, dtype, body, jf, xs):
        """d/dx at special values (elementwise: the vjp with v=1 is f'(x))."""
        g = self.graph([xs.shape], dtype, body)
        _, ct = evaluate(vjp(g), xs, np.ones_like(xs))
        want = jax.vmap(jax.grad(jf))(jnp.asarray(xs))
        self.compare(f"{op}[{dtype} special] f'", tree_flatten(ct)[0], want, dtype)

    def binary(self, op, dtype):
        jf, (lo, hi) = BINARY[op]
        sa, sb = self.bshapes()
        x, y = self.draw(sa, -3 if op in ("fmod", "remainder") else lo, hi, dtype), self.draw(sb, lo, hi, dtype)
        if op in ("fmod", "remainder") and self.rng.random() < 0.5:
            y = -y
        body = lambda b, a, c: b.emit(op, [a, c], {})[0]
        self.run_case(f"{op}[{dtype} {sa},{sb}]", [sa, sb], dtype, body, jf, [x, y])
        # special values against every special value
        a, c = np.meshgrid(SPECIAL, SPECIAL)
        a, c = a.ravel().astype(dtype), c.ravel().astype(dtype)
        with np.errstate(all="ignore"):
            self.run_case(f"{op}[{dtype} special]", [a.shape, c.shape], dtype, body, jf, [a, c], derivs=False)

    def reduce(self, op, dtype):
        jf = REDUCE[op]
        shape = self.bshapes()[0]
        rank = len(shape)
        attrs: dict = {}
        r = self.rng.random()
        if rank and r < 0.7:
            k = int(self.rng.integers(1, rank + 1))
            ax = sorted(self.rng.choice(rank, k, replace=False).tolist())
            ax = [a - rank if self.rng.random() < 0.5 else a for a in ax]
            attrs["axis"] = ax[0] if k == 1 and self.rng.random() < 0.5 else tuple(ax)
        attrs["keepdims"] = bool(self.rng.random() < 0.5)
        if op in ("max", "min") and 0 in shape:
            return  # empty max: both refuse (jax raises), nothing to compare
        lo, hi = (0.5, 1.5) if op == "prod" else (-2, 2)
        x = self.draw(shape, lo, hi, dtype)
        body = lambda b, a: b.emit(op, [a], dict(attrs))[0]
        jfn = lambda a: jf(a, axis=attrs.get("axis"), keepdims=attrs["keepdims"])
        self.run_case(f"{op}[{dtype} {shape} {attrs}]", [shape], dtype, body, jfn, [x])
        if op in ("sum", "mean", "max", "min", "logsumexp", "prod") and rank:
            xs = self.rng.choice(SPECIAL, shape).astype(dtype)
            with np.errstate(all="ignore"):
                self.run_case(f"{op}[{dtype} special {shape} {attrs}]", [shape], dtype, body, jfn, [xs], derivs=False)

    def axis_op(self, op, dtype):
        shape = self.bshapes()[0] or (3,)
        rank = len(shape)
        axis = int(self.rng.integers(-rank, rank))
        reverse = op.startswith("cum") and bool(self.rng.random() < 0.5)
        attrs = {"axis": axis, **({"reverse": reverse} if op.startswith("cum") else {})}
        x = self.draw(shape, 0.5 if op == "cumprod" else -2, 1.5 if op == "cumprod" else 2, dtype)
        body = lambda b, a: b.emit(op, [a], dict(attrs))[0]
        jfn = lambda a: AXIS_OPS[op](a, axis, reverse)
        self.run_case(f"{op}[{dtype} {shape} {attrs}]", [shape], dtype, body, jfn, [x])
        if op in ("softmax", "log_softmax"):  # huge / infinite logits: no overflow, -inf entries allowed
            xs = self.rng.choice(np.array([0.0, 1e300, -1e300, -np.inf, 700.0, 1.0]), shape).astype(dtype)
            with np.errstate(all="ignore"):
                self.run_case(f"{op}[{dtype} special {shape} {attrs}]", [shape], dtype, body, jfn, [xs], derivs=False)

    def nn_op(self, op, dtype):
        if op.startswith("gelu"):
            approx = op == "gelu_tanh"
            shape = self.bshapes()[0]
            x = self.draw(shape, -3, 3, dtype)
            body = lambda b, a: b.emit("gelu", [a], {"approximate": "tanh" if approx else "none"})[0]
            self.run_case(f"{op}[{dtype} {shape}]", [shape], dtype, body, lambda a: jax.nn.gelu(a, approximate=approx), [x])
            return
        # matmul with broadcast batch dims (rank >= 2: gradserve refuses 1-d operands by design, a clear error)
        m, k, n = (int(d) for d in self.rng.integers(1, 4, 3))
        batch = tuple(int(d) for d in self.rng.integers(1, 3, int(self.rng.integers(0, 3))))
        sa = batch + (m, k)
        sb = (k, n) if self.rng.random() < 0.5 else batch[1:] + (k, n)
        x, y = self.draw(sa, -1, 1, dtype), self.draw(sb, -1, 1, dtype)
        body = lambda b, a, c: b.emit("matmul", [a, c], {})[0]
        self.run_case(f"matmul[{dtype} {sa}@{sb}]", [sa, sb], dtype, body, jnp.matmul, [x, y], cond=4.0)


NN = {"gelu": None, "gelu_tanh": None, "matmul": None}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cases", type=int, default=5, help="random cases per op and dtype")
    p.add_argument("--ops", default="", help="comma-separated subset")
    p.add_argument("--backend", default="numpy", help="numpy, torch, cupy")
    a = p.parse_args(argv)
    jax.config.update("jax_enable_x64", True)  # float64 references, as the tests ask by a marker (tests/jax_mode.py)
    BACKEND[0] = a.backend
    h = Hunt(a.seed)
    only = set(filter(None, a.ops.split(",")))
    fams = [(UNARY, h.unary), (BINARY, h.binary), (REDUCE, h.reduce), (AXIS_OPS, h.axis_op), (NN, h.nn_op)]
    for _ in range(a.cases):
        for table, fn in fams:
            for op in table:
                if only and op not in only:
                    continue
                h.ops.add(op)
                for dtype in ("float64", "float32"):
                    fn(op, dtype)
    print(f"ops {len(h.ops)}, cases {h.cases}, disagreements {len(h.found)}")
    return 1 if h.found else 0


if __name__ == "__main__":
    sys.exit(main())
