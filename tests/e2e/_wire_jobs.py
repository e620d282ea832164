"""One random request on a random raw graph (tests/e2e/_wire_fuzz.py) and JAX's answer to it (float64, from the
same rounded inputs), sent over a `Proto` (HTTP json / b64 / binary, gRPC), and the comparison.

Wide runner (its own server, both protocols):
    PYTHONPATH=.:clients/python:tests python -m e2e._wire_jobs N [first]
"""
from __future__ import annotations

import sys

import numpy as np

import jax
import jax.numpy as jnp

try:
    from ._wire_fuzz import Case, make_case
except ImportError:  # run as a script
    from e2e._wire_fuzz import Case, make_case

KINDS = ("eval", "grad", "grad_all", "vjp", "jvp", "hvp", "hessian", "order")
# relative tolerance per dtype against float64 JAX: a few ulps per op over <= ~12 ops and two derivative passes
RTOL = {"float16": 3e-2, "float32": 2e-4, "float64": 1e-9}


def _x64(case: Case):
    return [jnp.asarray(a, jnp.float64) for a in case.inputs]


def _ones(tree):
    return jax.tree_util.tree_map(jnp.ones_like, tree)


def _like(rng, tree, dtype):
    return jax.tree_util.tree_map(lambda o: rng.uniform(-1, 1, np.shape(o)).astype(dtype), tree)


def _f64(tree):
    return jax.tree_util.tree_map(lambda s: jnp.asarray(s, jnp.float64), tree)


def _wire(tree):
    return list(tree) if isinstance(tree, tuple) else tree


def request(case: Case, kind: str, rng):
    """(route, options, JAX's expected value) for one random job of `kind`."""
    f, x, n = case.fn, _x64(case), len(case.inputs)
    out = f(*x)
    if kind == "eval":
        return "eval", {}, out
    if kind in ("grad", "grad_all"):
        sens = _like(rng, out, case.dtype) if rng.random() < 0.5 else None
        _, back = jax.vjp(f, *x)
        grads = back(_ones(out) if sens is None else _f64(sens))
        opts = {} if sens is None else {"sens": _wire(sens)}
        if kind == "grad_all":
            return "grad", {"get_all": True, **opts}, tuple(grads)
        if rng.random() < 0.5:
            pos = sorted(int(p) for p in rng.choice(n, int(rng.integers(1, n + 1)), replace=False))
            return "grad", {"grad_position": pos, **opts}, tuple(grads[p] for p in pos)
        pos = int(rng.integers(n))
        return "grad", {"grad_position": pos, **opts}, grads[pos]
    if kind == "vjp":
        v = _like(rng, out, case.dtype)
        _, back = jax.vjp(f, *x)
        return "vjp", {"v": _wire(v)}, (out, tuple(back(_f64(v))))
    if kind == "jvp":
        pos = sorted(int(p) for p in rng.choice(n, int(rng.integers(1, n + 1)), replace=False))
        tangents = [rng.uniform(-1, 1, case.inputs[p].shape).astype(case.dtype) for p in pos]
        full = [jnp.zeros_like(a) for a in x]
        for p, t in zip(pos, tangents):
            full[p] = jnp.asarray(t, jnp.float64)
        return "jvp", {"positions": pos, "tangents": tangents}, jax.jvp(f, tuple(x), tuple(full))
    pos = int(rng.integers(n))
    if kind == "hvp":
        v = rng.uniform(-1, 1, case.inputs[pos].shape).astype(case.dtype)
        g = jax.grad(lambda *a: _total(f(*a)), pos)
        want = jax.grad(lambda *a: jnp.vdot(g(*a), jnp.asarray(v, jnp.float64)), pos)(*x)
        return "hvp", {"positions": pos, "v": [v]}, want
    if kind == "hessian":
        return "hessian", {"positions": pos}, jax.hessian(f, pos)(*x)
    order = int(rng.integers(2, 4))
    g = f
    for _ in range(order):
        g = _grad_of(g, pos)
    return "grad", {"grad_position": pos, "order": order}, g(*x)


def _total(tree):
    return sum(jnp.sum(leaf) for leaf in jax.tree_util.tree_leaves(tree))


def _grad_of(f, pos):
    """MindSpore's GradOperation at position `pos` with ones as sens, as a function of the same inputs."""
    def g(*a):
        out, back = jax.vjp(f, *a)
        return back(_ones(out))[pos]
    return g


def mismatch(got, want, dtype: str) -> str | None:
    """None when `got` (the response's structure) matches `want` within the dtype's tolerance, else why not."""
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"structure: got {type(got).__name__} of {len(got) if isinstance(got, (tuple, list)) else '-'}" \
                   f", want {len(want)}"
        for i, (a, b) in enumerate(zip(got, want)):
            why = mismatch(a, b, dtype)
            if why:
                return f"[{i}] {why}"
        return None
    g, w = np.asarray(got), np.asarray(want, np.float64)
    if g.shape != w.shape:
        return f"shape {g.shape} != {w.shape}"
    if g.dtype.name != dtype:
        return f"dtype {g.dtype.name} != {dtype}"
    g = g.astype(np.float64)
    if not np.isfinite(w).all():
        return None if np.array_equal(np.isfinite(g), np.isfinite(w)) else "finiteness differs"
    tol = RTOL[dtype] * (np.abs(w) + max(1.0, float(np.abs(w).max(initial=0.0))) * 0.1)
    bad = np.abs(g - w) > tol
    if bad.any():
        i = np.unravel_index(int(np.argmax(np.abs(g - w) - tol)), g.shape)
        return f"at {tuple(int(j) for j in i)}: got {g[i]!r}, want {w[i]!r} ({int(bad.sum())} of {g.size})"
    return None


SKIP = "skip"  # run_one's answer for a derivative past the test server's max_nodes (413): nothing to compare


def run_kind(case: Case, kind: str) -> str:
    """The job run for `kind`: a hessian of more than 256 elements is an hvp (the test server's max_nodes)."""
    outs = jax.tree_util.tree_leaves(case.fn(*_x64(case))) if kind == "hessian" else []
    if kind == "hessian" and sum(a.size for a in case.inputs) * sum(np.size(o) for o in outs) > 256:
        return "hvp"
    return kind


def run_one(proto, seed: int, kind: str, enc: str = "json") -> str | None:
    """Send one job; None when it matches JAX, SKIP, else a line naming the seed, the job and what differs."""
    case = make_case(seed)
    rng = np.random.default_rng(seed * 7919 + KINDS.index(kind))
    route, opts, want = request(case, run_kind(case, kind), rng)
    ans = proto.call(route, case.graph(), case.inputs, enc=enc, **opts)
    if ans.status == 413 and ans.code == "limit_exceeded":
        return SKIP
    if ans.status != 200:
        return f"seed {seed} {kind} {proto}/{enc} {case.dtype} ops={case.ops}: {ans.status} {ans.error}"
    why = mismatch(ans.value(), want, case.dtype)
    return None if why is None else f"seed {seed} {kind} {proto}/{enc} {case.dtype} ops={case.ops} {opts.keys()}: {why}"


def main(argv: list[str]) -> int:
    import tempfile
    from pathlib import Path

    from e2e.proto import Proto
    from e2e.server import Server

    jax.config.update("jax_enable_x64", True)  # float64 references, as the tests ask by a marker (tests/jax_mode.py)
    n, first = int(argv[0]), int(argv[1]) if len(argv) > 1 else 0
    srv = Server(Path(tempfile.mkdtemp()) / "server.log")
    bad = skipped = 0
    try:
        protos = [Proto("http", srv), Proto("grpc", srv)]
        for seed in range(first, first + n):
            for k, kind in enumerate(KINDS):
                why = run_one(protos[(seed + k) % 2], seed, kind, ("json", "b64", "binary")[(seed + k) % 3])
                jax.clear_caches()  # each case's JAX functions are new: their traces would pile up
                skipped += why == SKIP
                if why and why != SKIP:
                    bad += 1
                    print(why, flush=True)
            if seed % 50 == 0:
                print(f"seed {seed}: {bad} not ok, {skipped} past max_nodes", flush=True)
    finally:
        srv.stop()
    print(f"{n} seeds x {len(KINDS)} kinds: {bad} not ok, {skipped} past max_nodes (413)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
