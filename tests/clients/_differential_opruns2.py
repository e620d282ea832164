"""Derivative requests on one round-2 op case (_differential_ops2.py), against JAX in float64: a vjp with a
random cotangent, a jvp with random tangents, grad of grad (the inner gradient summed, MindSpore's implicit ones
sens) or jacrev, over all the case's float inputs. run_op_case(seed) -> ('ok' | 'mismatch' | 'error', name,
detail), like _differential_specs.run_case."""
from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp

from gradserve import Tensor, ops

try:
    from ._differential_ops2 import CASES, LOW_PRECISION, complex_inputs
    from ._differential_specs import _ms_total, compare, total
except ImportError:  # run as a script
    from _differential_ops2 import CASES, LOW_PRECISION, complex_inputs
    from _differential_specs import _ms_total, compare, total

KINDS = ("vjp", "jvp", "grad2", "jacrev", "jacfwd_all", "hessian_all", "vmap_grad")
NOT_TWICE = ("max_pool", "sorts", "selection")  # piecewise linear: second derivatives are zero, still checked


def _tree(out, fn):
    return tuple(fn(o) for o in out) if isinstance(out, tuple) else fn(out)


def _cotangent(rng, out, dtype):
    return _tree(out, lambda o: rng.uniform(-1, 1, np.shape(o)).astype(dtype))


def run_kind(kind, xs, ms_fn, jx_fn, rng, dtype):
    """(gradserve's result, JAX's) for one derivative request over every input."""
    ms_x = [Tensor(x.astype(dtype)) for x in xs]
    jx_x = [jnp.asarray(x.astype(dtype), jnp.float64) for x in xs]  # the same rounded inputs
    pos = tuple(range(len(xs)))
    if kind == "vjp":
        want_out, back = jax.vjp(jx_fn, *jx_x)
        cot = _cotangent(rng, want_out, dtype)
        out, fn = ops.vjp(ms_fn, *ms_x)
        got = fn(*_tree(cot, Tensor)) if isinstance(cot, tuple) else fn(Tensor(cot))
        return (out, got), (want_out, tuple(back(_tree(cot, lambda c: jnp.asarray(c, jnp.float64)))))
    if kind == "jvp":
        v = [rng.uniform(-1, 1, x.shape).astype(dtype) for x in xs]
        got = ops.jvp(ms_fn, tuple(ms_x), tuple(Tensor(t) for t in v))
        return got, jax.jvp(jx_fn, tuple(jx_x), tuple(jnp.asarray(t, jnp.float64) for t in v))
    if kind == "grad2":
        inner = jax.grad(lambda *a: total(jx_fn(*a)), pos)
        want = jax.grad(lambda *a: sum(jnp.sum(g) for g in inner(*a)), 0)(*jx_x)
        return ops.grad(ops.grad(ms_fn, pos), 0)(*ms_x), want
    if kind == "jacfwd_all":  # every position: a tuple of blocks per output
        return ops.jacfwd(ms_fn, pos)(*ms_x), jax.jacfwd(jx_fn, pos)(*jx_x)
    if kind == "hessian_all":
        return ops.hessian(lambda *a: _ms_total(ms_fn(*a)), pos)(*ms_x), jax.hessian(
            lambda *a: total(jx_fn(*a)), pos)(*jx_x)
    if kind == "vmap_grad":
        return _vmap_grad(xs, ms_fn, jx_fn, rng, dtype)
    return ops.jacrev(ms_fn, 0)(*ms_x), jax.jacrev(jx_fn, 0)(*jx_x)


def _vmap_grad(xs, ms_fn, jx_fn, rng, dtype):
    """ops.vmap(ops.grad(f, all positions)) over a batch of 2 of the first input (in_axes 0 or 1), the others
    batched along 0 or shared (None), out_axes 0 or 1 where every gradient has that axis."""
    axes = tuple(int(rng.integers(min(2, x.ndim))) if i == 0 or rng.random() < 0.5 else None
                 for i, x in enumerate(xs))
    out_axes = int(rng.integers(2)) if all(x.ndim >= 1 for x in xs) else 0
    batched = [np.stack([x, x * 0.9 + 0.05], a).astype(dtype) if a is not None else x.astype(dtype)
               for x, a in zip(xs, axes)]
    pos = tuple(range(len(xs)))
    got = ops.vmap(ops.grad(ms_fn, pos), axes, out_axes)(*[Tensor(b) for b in batched])
    g = jax.grad(lambda *a: total(jx_fn(*a)), pos)
    want = jax.vmap(lambda *a: g(*a) if len(pos) > 1 else g(*a)[0], axes, out_axes)(
        *[jnp.asarray(b, jnp.float64) for b in batched])
    return got, want


def run_complex(kind, xs, ms_fn, jx_fn, rng, dtype):
    """vjp: gradserve's cotangent map is conj(JAX's vjp(conj(v))) (docs/API.md "Complex numbers": MindSpore's
    convention, JAX returns the conjugate); jvp: the pushforward, the same in both."""
    ms_x = [Tensor(x.astype(dtype)) for x in xs]
    jx_x = [jnp.asarray(x.astype(dtype), jnp.complex128) for x in xs]

    def draw(shape, dt):
        v = rng.uniform(-1, 1, shape) + (1j * rng.uniform(-1, 1, shape) if np.dtype(dt).kind == "c" else 0)
        return np.asarray(v).astype(dt)
    if kind == "vjp":
        want_out, back = jax.vjp(jx_fn, *jx_x)
        cot = draw(np.shape(want_out), dtype if jnp.iscomplexobj(want_out) else _real(dtype))
        out, fn = ops.vjp(ms_fn, *ms_x)
        want = tuple(jnp.conj(g) for g in back(jnp.conj(jnp.asarray(cot, want_out.dtype))))
        return (out, fn(Tensor(cot))), (want_out, want)
    v = [draw(x.shape, dtype) for x in xs]
    got = ops.jvp(ms_fn, tuple(ms_x), tuple(Tensor(t) for t in v))
    return got, jax.jvp(jx_fn, tuple(jx_x), tuple(jnp.asarray(t, jnp.complex128) for t in v))


def _real(dtype):
    return "float32" if dtype == "complex64" else "float64"


def run_complex_case(seed: int):
    rng = np.random.default_rng(900_000 + seed)
    dtype = str(rng.choice(["complex64", "complex128"]))
    kind = ("vjp", "jvp")[int(rng.integers(2))]
    xs, ms_fn, jx_fn, name = complex_inputs(rng)
    jx_fn = jax.jit(jx_fn)  # (see run_op_case)
    label = f"complex_in:{name}/{kind}/{dtype}"
    try:
        got, want = run_complex(kind, xs, ms_fn, jx_fn, rng, dtype)
    except Exception as e:  # noqa: BLE001 - an error on a valid program is a finding, reported with the seed
        return "error", label, f"{type(e).__name__}: {str(e)[:300]}"
    why = compare(got, want, _real(dtype))
    return ("mismatch" if why else "ok"), label, (why or "")


def draw_op_case(seed: int):
    rng = np.random.default_rng(500_000 + seed)
    name = list(CASES)[int(rng.integers(len(CASES)))]
    dtypes = ["float32"] * 6 + ["float64"] * 3 + (["float16", "bfloat16"] if name in LOW_PRECISION else [])
    dtype = str(rng.choice(dtypes))
    kind = KINDS[int(rng.integers(len(KINDS)))]
    return rng, name, dtype, kind


def run_op_case(seed: int):
    rng, name, dtype, kind = draw_op_case(seed)
    label = f"{name}/{kind}/{dtype}"
    try:
        xs, ms_fn, jx_fn = CASES[name](rng)
        # jit: JAX's transforms then compile the op's reference whole, not each primitive at each new shape
        # (eager, those compiles were most of the references' CPU); the values are XLA's either way
        jx_fn = jax.jit(jx_fn)
        got, want = run_kind(kind, xs, ms_fn, jx_fn, rng, dtype)
    except Exception as e:  # noqa: BLE001 - an error on a valid program is a finding, reported with the seed
        return "error", label, f"{type(e).__name__}: {str(e)[:300]}"
    why = compare(got, want, dtype)
    return ("mismatch" if why else "ok"), label, (why or "")
