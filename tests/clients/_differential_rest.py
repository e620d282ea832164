"""The REST routes (/v1/grad, /v1/jvp, /v1/vjp, /v1/hvp, /v1/jacobian, /v1/hessian, docs/API.md) on a random
Program's traced graph, against JAX (float64). Each spec returns (the response rebuilt by its `structure`, JAX's
expected value); the graph's inputs are the program's float inputs, then its int32 and bool inputs."""
from __future__ import annotations

import httpx
import numpy as np

import jax
import jax.numpy as jnp

import gradserve as gs
from gradserve import ops

try:
    from ._differential_programs import Program
    from ._differential_specs import _closed, _jx_floats, _like_outputs, total
except ImportError:  # run as a script
    from _differential_programs import Program
    from _differential_specs import _closed, _jx_floats, _like_outputs, total

V2 = {"float16": "FP16", "float32": "FP32", "float64": "FP64", "int32": "INT32", "bool": "BOOL"}


def _tensor(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "datatype": V2[a.dtype.name], "data": a.reshape(-1).tolist()}


def _rebuild(structure, outputs):
    if isinstance(structure, int):
        o = outputs[structure]
        dt = {v: k for k, v in V2.items()}.get(o["datatype"], "float64")
        return np.asarray(o["data"], dt).reshape(o["shape"])
    return tuple(_rebuild(s, outputs) for s in structure)


def post(url: str, route: str, p: Program, ints: bool = True, **fields):
    """ints=False: the int and bool inputs are constants of the graph, not inputs."""
    fn, args = (p.ms_fn(), p.floats + [p.int_in, p.bool_in]) if ints else (_closed(p, ops), list(p.floats))
    body = {"graph": gs.trace_graph(fn, args), "inputs": [_tensor(a) for a in args], **fields}
    r = httpx.post(f"{url}{route}", json=body, timeout=60)
    if r.status_code != 200:
        raise RuntimeError(f"{route} {r.status_code}: {r.text[:300]}")
    doc = r.json()
    return _rebuild(doc["structure"], doc["outputs"])


def _jx_positions(p, rng):
    n = len(p.floats)
    k = int(rng.integers(1, n + 1))
    return sorted(int(x) for x in rng.choice(n, k, replace=False))


def rest_grad(url, p, rng):
    pos = _jx_positions(p, rng) if rng.random() < 0.5 else int(rng.integers(len(p.floats)))
    sens = _like_outputs(p, rng) if rng.random() < 0.5 else None
    fields = {"grad_position": pos}
    if sens is not None:
        fields["sens"] = [_tensor(s) for s in sens] if isinstance(sens, tuple) else _tensor(sens)
    got = post(url, "/v1/grad", p, **fields)
    f = _closed(p, jnp)
    jpos = tuple(pos) if isinstance(pos, list) else pos
    out, back = jax.vjp(f, *_jx_floats(p))
    cot = jax.tree_util.tree_map(jnp.ones_like, out) if sens is None else jax.tree_util.tree_map(
        lambda s: jnp.asarray(s, jnp.float64), sens)
    grads = back(cot)
    want = tuple(grads[i] for i in jpos) if isinstance(jpos, tuple) else grads[jpos]
    return got, want  # the wire keeps a list of one position a tuple (docs/API.md), unlike the SDK


def rest_jvp(url, p, rng):
    pos = _jx_positions(p, rng)
    tangents = [rng.uniform(-1, 1, p.floats[i].shape).astype(p.float_dtype) for i in pos]
    got = post(url, "/v1/jvp", p, positions=pos, tangents=[_tensor(t) for t in tangents])
    x = _jx_floats(p)
    full = [jnp.zeros_like(a) for a in x]
    for i, t in zip(pos, tangents):
        full[i] = jnp.asarray(t, jnp.float64)
    return got, jax.jvp(_closed(p, jnp), tuple(x), tuple(full))


def rest_vjp(url, p, rng):
    v = _like_outputs(p, rng)
    # /v1/vjp differentiates every input and refuses an int one (400 naming it; the SDK gives zeros)
    got = post(url, "/v1/vjp", p, ints=False, v=[_tensor(s) for s in v] if isinstance(v, tuple) else _tensor(v))
    out, back = jax.vjp(_closed(p, jnp), *_jx_floats(p))
    cot = jax.tree_util.tree_map(lambda s: jnp.asarray(s, jnp.float64), v)
    return got, (out, tuple(back(cot)))


def rest_jacobian(url, p, rng):
    pos = int(rng.integers(len(p.floats)))
    mode = ["rev", "fwd"][int(rng.integers(2))]
    got = post(url, "/v1/jacobian", p, positions=pos, mode=mode)
    return got, jax.jacrev(_closed(p, jnp), pos)(*_jx_floats(p))


def rest_hessian(url, p, rng):
    pos = int(rng.integers(len(p.floats)))
    got = post(url, "/v1/hessian", p, positions=pos)
    return got, jax.hessian(_closed(p, jnp), pos)(*_jx_floats(p))


def rest_hvp(url, p, rng):
    pos = int(rng.integers(len(p.floats)))
    v = rng.uniform(-1, 1, p.floats[pos].shape).astype(p.float_dtype)
    got = post(url, "/v1/hvp", p, positions=pos, v=[_tensor(v)])
    f = _closed(p, jnp)
    g = jax.grad(lambda *x: total(f(*x)), pos)
    want = jax.grad(lambda *x: jnp.vdot(g(*x), jnp.asarray(v, jnp.float64)), pos)(*_jx_floats(p))
    return got, want


REST_SPECS = {f.__name__[5:]: f for f in (rest_grad, rest_jvp, rest_vjp, rest_jacobian, rest_hessian, rest_hvp)}
