"""Derivative requests on a random Program (tests/clients/_differential_programs.py): each spec returns
(gradserve's result, JAX's expected value), both nested tuples of arrays, MindSpore's semantics mapped by hand
(see test_differential_jax.py's docstring for the mapping)."""
from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp

import gradserve as gs
from gradserve import Parameter, Tensor, nn, ops
from gradserve.ops import GradOperation

try:
    from ._differential_programs import Program
except ImportError:  # run as a script
    from _differential_programs import Program


def total(out):
    """MindSpore's implicit sens: every output seeded with ones, i.e. the gradient of the sum of all."""
    outs = out if isinstance(out, tuple) else (out,)
    return sum(jnp.sum(o) for o in outs)


def _closed(p: Program, lib):
    """f over the float inputs only, the int and bool inputs fixed (they have no derivative)."""
    if lib is ops:
        i, k = Tensor(p.int_in), Tensor(p.bool_in)
        return lambda *fl: p.run(ops, fl, i, k)
    i, k = jnp.asarray(p.int_in), jnp.asarray(p.bool_in)
    # jit: JAX's transforms of the program then compile it whole, a few times a case, not each primitive at
    # each new shape (eager, those compiles were most of the references' CPU); the values are XLA's either way
    return jax.jit(lambda *fl: p.run(jnp, fl, i, k))


def _ms_floats(p):
    return [Tensor(f) for f in p.floats]


def _one(g, pos):
    """MindSpore 2.x: one gradient by position is the tensor itself, also for grad_position=(0,)."""
    return g[0] if isinstance(pos, tuple) and len(pos) == 1 else g


def _jx_floats(p):
    return [jnp.asarray(f, jnp.float64) for f in p.floats]


def _positions(p, rng):
    n = len(p.floats)
    if rng.random() < 0.5:
        return int(rng.integers(n))
    k = int(rng.integers(1, n + 1))
    return tuple(sorted(int(x) for x in rng.choice(n, k, replace=False)))


def _like_outputs(p, rng, scale=1.0):
    """A random cotangent shaped like the program's outputs (float64 for JAX, the program's dtype for us)."""
    outs = _closed(p, jnp)(*_jx_floats(p))
    outs_t = outs if isinstance(outs, tuple) else (outs,)
    v = tuple(np.asarray(rng.uniform(-1, 1, np.shape(o)) * scale).astype(p.float_dtype) for o in outs_t)
    return v if isinstance(outs, tuple) else v[0]


def _ms_tree(v):
    return tuple(Tensor(x) for x in v) if isinstance(v, tuple) else Tensor(v)


def _jx_tree(v):
    return tuple(jnp.asarray(x, jnp.float64) for x in v) if isinstance(v, tuple) else jnp.asarray(v, jnp.float64)


def spec_grad(p, rng):
    pos = _positions(p, rng)
    has_aux = p.n_out > 1 and rng.random() < 0.4
    got = ops.grad(_closed(p, ops), pos, has_aux=has_aux)(*_ms_floats(p))
    f = _closed(p, jnp)
    target = (lambda *x: total(f(*x)[0])) if has_aux else (lambda *x: total(f(*x)))
    want = _one(jax.grad(target, pos)(*_jx_floats(p)), pos)
    if has_aux:
        aux = f(*_jx_floats(p))[1:]
        return (got[0], got[1]), (want, aux)
    return got, want


def spec_value_and_grad(p, rng):
    pos = _positions(p, rng)
    value, g = ops.value_and_grad(_closed(p, ops), pos)(*_ms_floats(p))
    f = _closed(p, jnp)
    want_v, want_g = jax.value_and_grad(lambda *x: total(f(*x)), pos)(*_jx_floats(p))
    return (value, g), (f(*_jx_floats(p)), _one(want_g, pos))


class _Net(nn.Cell):
    """The program with its first float input a Parameter (shared by construct's two uses when twice)."""

    def __init__(self, p: Program):
        super().__init__()
        self.p = p
        self.w = Parameter(Tensor(p.floats[0]), name="w")

    def construct(self, *rest):
        return self.p.run(ops, (self.w,) + rest[:len(self.p.floats) - 1], rest[-2], rest[-1])


def _int_input_gradient(p, cot):
    """MindSpore passes dout back through a Cast to the int input's dtype (truncating): the int input's
    gradient is the float one, from JAX with the int input as a float, truncated (one Cast use only)."""
    k = jnp.asarray(p.bool_in)
    _, back = jax.vjp(lambda *a: p.run(jnp, a[:-1], a[-1], k), *_jx_floats(p), jnp.asarray(p.int_in, jnp.float64))
    return np.trunc(np.asarray(back(cot)[-1])).astype(np.int32)


def spec_grad_operation(p, rng):
    get_all, get_by_list, sens_param = (bool(rng.integers(2)) for _ in range(3))
    get_all = get_all and sum(name == "mul_int" for name, _ in p.steps) <= 1  # see _int_input_gradient
    net = _Net(p)
    args = _ms_floats(p)[1:] + [Tensor(p.int_in), Tensor(p.bool_in)]
    sens = _like_outputs(p, rng) if sens_param else None
    op = GradOperation(get_all=get_all, get_by_list=get_by_list, sens_param=sens_param)
    fn = op(net, net.trainable_params()) if get_by_list else op(net)
    got = fn(*args, _ms_tree(sens)) if sens_param else fn(*args)
    f = _closed(p, jnp)
    x = _jx_floats(p)
    out, back = jax.vjp(f, *x)
    cot = _jx_tree(sens) if sens_param else jax.tree_util.tree_map(jnp.ones_like, out)
    grads = back(cot)
    ints = (_int_input_gradient(p, cot), np.zeros(p.bool_in.shape, p.bool_in.dtype))
    inputs = tuple(grads[1:]) + ints
    if get_all and get_by_list:
        return got, (inputs, (grads[0],))
    if get_by_list:
        return got, (grads[0],)
    return got, (inputs if get_all else inputs[0])


def spec_jvp(p, rng):
    v = tuple(rng.uniform(-1, 1, f.shape).astype(p.float_dtype) for f in p.floats)
    out, tan = ops.jvp(_closed(p, ops), tuple(_ms_floats(p)), tuple(Tensor(t) for t in v))
    want = jax.jvp(_closed(p, jnp), tuple(_jx_floats(p)), tuple(jnp.asarray(t, jnp.float64) for t in v))
    return (out, tan), want


def spec_vjp(p, rng):
    cot = _like_outputs(p, rng)
    out, fn = ops.vjp(_closed(p, ops), *_ms_floats(p))
    got = fn(*_ms_tree(cot)) if isinstance(cot, tuple) else fn(_ms_tree(cot))
    want_out, back = jax.vjp(_closed(p, jnp), *_jx_floats(p))
    return (out, got), (want_out, tuple(back(_jx_tree(cot))))


def _jx_grad_sum(fn, pos):
    """MindSpore's grad of a gradient: the inner result, summed over all its leaves, differentiated."""
    g = jax.grad(lambda *x: total(fn(*x)), pos)
    return lambda *x: _one(tuple(jax.tree_util.tree_leaves(g(*x))) if isinstance(pos, tuple) else g(*x), pos)


def spec_nested_grad(p, rng):
    order = int(rng.integers(2, 4))
    n = len(p.floats)
    positions = [int(rng.integers(n)) if rng.random() < 0.7 else _positions(p, rng) for _ in range(order)]
    ms_fn, jx_fn = _closed(p, ops), _closed(p, jnp)
    for pos in positions:
        ms_fn = ops.grad(ms_fn, pos)
        jx_fn = _jx_grad_sum(jx_fn, pos)
    return ms_fn(*_ms_floats(p)), jx_fn(*_jx_floats(p))


def spec_jvp_of_grad(p, rng):
    pos = int(rng.integers(len(p.floats)))
    v = tuple(rng.uniform(-1, 1, f.shape).astype(p.float_dtype) for f in p.floats)
    got = ops.jvp(ops.grad(_closed(p, ops), pos), tuple(_ms_floats(p)), tuple(Tensor(t) for t in v))
    want = jax.jvp(_jx_grad_sum(_closed(p, jnp), pos), tuple(_jx_floats(p)),
                   tuple(jnp.asarray(t, jnp.float64) for t in v))
    return got, want


def spec_vjp_of_jvp(p, rng):
    v = tuple(rng.uniform(-1, 1, f.shape).astype(p.float_dtype) for f in p.floats)
    msf, jxf = _closed(p, ops), _closed(p, jnp)
    ms_v, jx_v = tuple(Tensor(t) for t in v), tuple(jnp.asarray(t, jnp.float64) for t in v)
    cot = _like_outputs(p, rng)
    out, fn = ops.vjp(lambda *x: ops.jvp(msf, x, ms_v)[1], *_ms_floats(p))
    got = fn(*_ms_tree(cot)) if isinstance(cot, tuple) else fn(_ms_tree(cot))
    want_out, back = jax.vjp(lambda *x: jax.jvp(jxf, x, jx_v)[1], *_jx_floats(p))
    return (out, got), (want_out, tuple(back(_jx_tree(cot))))


def spec_jacobian(p, rng):
    pos = _positions(p, rng) if rng.random() < 0.3 else int(rng.integers(len(p.floats)))
    kind = ["jacrev", "jacfwd", "hessian"][int(rng.integers(3))]
    msf, jxf = _closed(p, ops), _closed(p, jnp)
    if kind == "hessian":
        got = ops.hessian(lambda *x: _ms_total(msf(*x)), pos)(*_ms_floats(p))
        return got, jax.hessian(lambda *x: total(jxf(*x)), pos)(*_jx_floats(p))
    got = getattr(ops, kind)(msf, pos)(*_ms_floats(p))
    return got, getattr(jax, kind)(jxf, pos)(*_jx_floats(p))


def _ms_total(out):
    outs = out if isinstance(out, tuple) else (out,)
    s = outs[0].sum()
    for o in outs[1:]:
        s = s + o.sum()
    return s


def spec_vmap_grad(p, rng):
    """Per-example gradients: vmap over a batch of 2 of the first input, the others fixed."""
    batch = np.stack([p.floats[0], (p.floats[0] * 0.5 + 0.1).astype(p.float_dtype)])
    msf, jxf = _closed(p, ops), _closed(p, jnp)
    rest_ms, rest_jx = _ms_floats(p)[1:], _jx_floats(p)[1:]
    got = ops.vmap(ops.grad(lambda x: msf(x, *rest_ms)), 0)(Tensor(batch))
    want = jax.vmap(jax.grad(lambda x: total(jxf(x, *rest_jx))))(jnp.asarray(batch, jnp.float64))
    return got, want


def _as_container(out, kind):
    outs = out if isinstance(out, tuple) else (out,)
    if kind == "list":
        return list(outs)
    if kind == "dict":
        return {f"o{i}": o for i, o in enumerate(outs)}
    return out


def spec_grad_containers(p, rng):
    """A list or dict of outputs: every leaf seeded with ones, as a tuple's."""
    kind = ["list", "dict"][int(rng.integers(2))]
    pos = _positions(p, rng)
    msf = _closed(p, ops)
    got = ops.grad(lambda *x: _as_container(msf(*x), kind), pos)(*_ms_floats(p))
    f = _closed(p, jnp)
    return got, _one(jax.grad(lambda *x: total(f(*x)), pos)(*_jx_floats(p)), pos)


class _Shared(nn.Cell):
    """Two sub-cells holding one Parameter: its gradient is the sum of both uses'."""

    def __init__(self, p: Program):
        super().__init__()
        self.a = _Net(p)
        self.b = _Net(p)
        self.b.w = self.a.w

    def construct(self, *rest):
        return _ms_total(self.a(*rest)) * _ms_total(self.b(*rest)) * 0.5


def spec_shared_parameter(p, rng):
    net = _Shared(p)
    args = _ms_floats(p)[1:] + [Tensor(p.int_in), Tensor(p.bool_in)]
    with_inputs = len(p.floats) > 1 and rng.random() < 0.5
    got = ops.grad(net, 0 if with_inputs else None, net.trainable_params())(*args)
    f = _closed(p, jnp)
    target = lambda *x: total(f(*x)) ** 2 * 0.5  # noqa: E731
    g = jax.grad(target, tuple(range(len(p.floats))))(*_jx_floats(p))
    assert len(net.trainable_params()) == 1, "the shared Parameter is listed once"
    return got, ((g[1], (g[0],)) if with_inputs else (g[0],))


def spec_vmap_mixed(p, rng):
    """vmap of grad (several positions) with in_axes mixing 0, 1 and None, and out_axes 0 or 1."""
    n = len(p.floats)
    axes = tuple(None if i and rng.random() < 0.4 else int(rng.integers(2)) if p.floats[i].ndim == 2 else 0
                 for i in range(n))
    out_axes = int(rng.integers(2))
    batched = [np.stack([f, (f * 0.5 + 0.1).astype(p.float_dtype)], a) if a is not None else f
               for f, a in zip(p.floats, axes)]
    pos = _positions(p, rng)
    msf, jxf = _closed(p, ops), _closed(p, jnp)
    got = ops.vmap(ops.grad(msf, pos), axes, out_axes)(*[Tensor(b) for b in batched])
    g = jax.grad(lambda *x: total(jxf(*x)), pos)
    want = jax.vmap(lambda *x: _one(g(*x), pos), axes, out_axes)(*[jnp.asarray(b, jnp.float64) for b in batched])
    return got, want


SPECS = {f.__name__[5:]: f for f in (spec_grad, spec_value_and_grad, spec_grad_operation, spec_jvp, spec_vjp,
                                      spec_nested_grad, spec_jvp_of_grad, spec_vjp_of_jvp, spec_jacobian,
                                      spec_vmap_grad, spec_grad_containers, spec_shared_parameter,
                                      spec_vmap_mixed)}


# -- comparing and running cases -----------------------------------------------------------------------------
TOLERANCE = {"float64": 1e-8, "float32": 3e-4, "float16": 4e-2, "bfloat16": 1e-1}  # bfloat16: 8 bits


def _leaf(x):
    return isinstance(x, (Tensor, np.ndarray, jax.Array, np.generic, float, int, bool))


def compare(got, want, dtype: str, where: str = "result") -> str | None:
    """None when gradserve's result has the structure, shapes and (within the dtype's tolerance) values of
    JAX's; else what differs and where."""
    if not _leaf(want):
        if _leaf(got) or len(got) != len(want):
            return f"{where}: structure {_kind(got)} != expected {_kind(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            why = compare(g, w, dtype, f"{where}[{i}]")
            if why:
                return why
        return None
    if not _leaf(got):
        return f"{where}: structure {_kind(got)} != expected a tensor"
    g = np.asarray(got.asnumpy() if isinstance(got, Tensor) else got)
    w = np.asarray(want)
    if g.shape != w.shape:
        return f"{where}: shape {g.shape} != expected {w.shape}"
    if w.dtype.kind == "f" and g.dtype != np.dtype(dtype):
        return f"{where}: dtype {g.dtype} != expected {dtype}"
    if w.dtype.kind == "c" and g.dtype.kind != "c":
        return f"{where}: dtype {g.dtype} != expected a complex dtype"
    tol = TOLERANCE[dtype]
    scale = max(1.0, float(np.abs(w).max()) if w.size else 1.0)
    wide = np.complex128 if "c" in (w.dtype.kind, g.dtype.kind) else np.float64  # (astype float drops imag)
    bad = ~np.isclose(g.astype(wide), w.astype(wide), rtol=tol, atol=tol * scale)
    if bad.any():
        return f"{where}: values differ at {np.argwhere(bad)[:3].tolist()}: {g[bad][:3]} != expected {w[bad][:3]}"
    return None


def judged(label: str, run, dtype: str, mode: str | None = None) -> tuple:
    """(status, label, detail) of run() -> (got, want): 'error' when it raises (an error on a valid program is a
    finding, reported with the seed), else compare's verdict. mode 'graph' / 'pynative': run in it; PyNative after."""
    try:
        if mode is not None:
            gs.set_context(mode=gs.GRAPH_MODE if mode == "graph" else gs.PYNATIVE_MODE)
        got, want = run()
    except Exception as e:  # noqa: BLE001 - see the docstring
        return "error", label, f"{type(e).__name__}: {str(e)[:300]}"
    finally:
        gs.set_context(mode=gs.PYNATIVE_MODE)
    why = compare(got, want, dtype)
    return ("mismatch" if why else "ok"), label, (why or "")


def _kind(x):
    return "tensor" if _leaf(x) else f"{type(x).__name__} of {len(x)}"


def draw_case(seed: int):
    """(program, spec name) for one seed: mostly float32, some float64 and float16."""
    rng = np.random.default_rng(seed)
    dtype = rng.choice(["float32"] * 17 + ["float64"] * 2 + ["float16"])
    program = Program(rng, int(rng.integers(1, 4)), int(rng.integers(2, 7)), str(dtype))
    name = list(SPECS)[int(rng.integers(len(SPECS)))]
    if name == "grad_operation" and len(program.floats) < 2:
        name = "grad"
    return program, name, rng


def run_case(seed: int):
    """('ok' | 'mismatch' | 'error', spec name, detail)."""
    program, name, rng = draw_case(seed)
    try:
        got, want = SPECS[name](program, rng)
    except Exception as e:  # noqa: BLE001 - an error on a valid program is a finding, reported with the seed
        return "error", name, f"{type(e).__name__}: {str(e)[:300]} | {program.describe()}"
    why = compare(got, want, program.float_dtype)
    return ("mismatch" if why else "ok"), name, (f"{why} | {program.describe()}" if why else "")
