"""MindSpore's Taylor-mode functions `jet` and `derivative`, and `linearize` (a curried jvp).

jet(fn, primals, series) pushes the curve x(t) = x0 + sum_k series[k-1] t^k / k! through fn: row
k-1 of each output series is the k-th derivative of fn(x(t)) at t = 0 (derivatives, not Taylor
coefficients: JAX's `jet` convention, which is MindSpore's). It is built on the engine's forward
mode: K nested `jvp` nodes over a scalar t, each level differentiating all of the previous level's
outputs once more, so any op with a jvp rule works at any order (the lowering drops the tangents
nobody reads). Called outside a trace, a small program around the nest runs on the service.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._tensor import Tensor
from ._trace import current, emit_jvp, flatten, run_program, unflatten
from .ops._autodiff import _as_tuple, _cache_for, _call, _label, jvp
from .ops._primitives import cast, stack  # the submodules, not the ops package (which imports this one)

_FLOATS = ("float16", "float32", "float64")


def _float(x: Tensor) -> Tensor:
    """MindSpore computes jets of integer (and bool) tensors in float32."""
    return x if x._dtype in _FLOATS else cast(x, "float32")


def _checked(primals, series) -> tuple[tuple, tuple, int]:
    """(primals, series, order K) as tuples; the errors MindSpore raises for other arguments."""
    single = isinstance(primals, Tensor)
    if single != isinstance(series, Tensor) or (not single and not (isinstance(primals, tuple)
                                                                     and isinstance(series, tuple))):
        raise TypeError(f"jet: primals and series must both be a Tensor or both a tuple of Tensors, got "
                        f"{type(primals).__name__} and {type(series).__name__}")
    xs, ss = _as_tuple(primals), _as_tuple(series)
    if not xs or len(xs) != len(ss):
        raise ValueError(f"jet: series needs one Tensor per primal, got {len(ss)} for {len(xs)} primal(s)")
    orders = set()
    for i, (x, s) in enumerate(zip(xs, ss)):
        if not isinstance(x, Tensor) or not isinstance(s, Tensor):
            raise TypeError(f"jet: primals[{i}] and series[{i}] must be Tensors, got {type(x).__name__} and "
                            f"{type(s).__name__}")
        if len(s.shape) != len(x.shape) + 1 or tuple(s.shape[1:]) != tuple(x.shape) or s.shape[0] < 1:
            raise ValueError(f"jet: series[{i}] must have shape (order, *primal.shape) = (K, "
                             f"{', '.join(map(str, x.shape))}) with K >= 1, got {tuple(s.shape)}")
        orders.add(int(s.shape[0]))
    if len(orders) != 1:
        raise ValueError(f"jet: every series must hold the same number of orders, got {sorted(orders)}")
    return xs, ss, orders.pop()


def _curve_point(x0: Tensor, s: Tensor | None, t: Tensor, order: int) -> Tensor:
    """x0 + sum_k s[k-1] t^k / k! by Horner's rule (products only: no pow, whose rule is singular at
    t = 0). s None: the straight line x0 + t (first derivative ones, the others zero)."""
    t = t if t._dtype == x0._dtype else cast(t, x0._dtype)
    if s is None:
        return x0 + t
    s = s if s._dtype == x0._dtype else cast(s, x0._dtype)
    acc = s[order - 1] * (1.0 / math.factorial(order))
    for k in range(order - 1, 0, -1):
        acc = s[k - 1] * (1.0 / math.factorial(k)) + t * acc
    return x0 + t * acc


def _taylor(fn, xs, ss, order: int):
    """Emit the nest in the active trace: (fn's output tree, for each order 0..K fn's flat outputs)."""
    xs = [_float(x) for x in xs]
    dt = xs[0]._dtype
    one = Tensor(np.ones((), dt))
    box = {}

    def level0(t):
        leaves, box["tdef"] = flatten(fn(*[_curve_point(x, s, t, order) for x, s in zip(xs, ss)]))
        box["m"] = len(leaves)
        return tuple(leaves)

    def deeper(prev, k):
        def level(t):  # prev's outputs (orders 0..k-1), then the derivative of its top order (order k)
            vals, tans, _ = emit_jvp(prev, [t], [one], label=f"taylor{k}_{_label(fn)}")
            return (*vals, *tans[len(tans) - box["m"]:])

        return level

    f = level0
    for k in range(1, order + 1):
        f = deeper(f, k)
    flat = f(Tensor(np.zeros((), dt)))
    m = box["m"]
    return box["tdef"], [list(flat[k * m:(k + 1) * m]) for k in range(order + 1)]


def _as_ms(x):
    """MindSpore gives several outputs (and their series) as lists."""
    return list(x) if isinstance(x, tuple) else x


def _run(fn, kind: tuple, args: list, program):
    if current() is not None:
        return program(*args)
    return run_program(program, args, cache=_cache_for(fn, kind), label=f"{kind[0]}_{_label(fn)}")


def jet(fn, primals, series):
    """`jet(fn, primals, series) -> (out_primals, out_series)`: fn(primals), and for each output the
    derivatives 1..K of fn along the curve whose derivatives 1..K at primals are `series` (shape
    (K, *primal.shape) per primal; each output series has shape (K, *out.shape))."""
    xs, ss, order = _checked(primals, series)
    n = len(xs)

    def program(*a):
        tdef, per_order = _taylor(fn, a[:n], a[n:], order)
        rows = [stack([per_order[k][j] for k in range(1, order + 1)], 0) for j in range(len(per_order[0]))]
        return unflatten(tdef, per_order[0]), unflatten(tdef, rows)

    out, out_series = _run(fn, ("jet", n), [*xs, *ss], program)
    return _as_ms(out), _as_ms(out_series)


def derivative(fn, primals, order: int):
    """`derivative(fn, primals, order) -> (out_primals, out_series)`: fn(primals) and the order-th
    derivative of each output along x(t) = primals + t (every input's first series term is ones)."""
    if isinstance(order, bool) or not isinstance(order, numbers.Integral):
        raise TypeError(f"derivative: order must be an int, got {type(order).__name__}")
    if order < 1:
        raise ValueError(f"derivative: order must be at least 1, got {order}")
    if not isinstance(primals, (Tensor, tuple)) or not all(isinstance(x, Tensor) for x in _as_tuple(primals)):
        raise TypeError(f"derivative: primals must be a Tensor or a tuple of Tensors, got {type(primals).__name__}")
    order, xs = int(order), _as_tuple(primals)
    n = len(xs)

    def program(*a):
        tdef, per_order = _taylor(fn, a, [None] * n, order)
        return unflatten(tdef, per_order[0]), unflatten(tdef, per_order[order])

    out, out_series = _run(fn, ("derivative", n, order), list(xs), program)
    return _as_ms(out), _as_ms(out_series)


def linearize(fn, inputs):
    """`linearize(fn, inputs) -> (fn(inputs), jvp_fn)` with `jvp_fn(v)` = J v at inputs (v shaped like
    inputs: a Tensor, or a tuple of them). A curried jvp: each jvp_fn call runs one (cached) jvp graph,
    which evaluates fn's primal again (no partial evaluation)."""
    xs = _as_tuple(inputs)
    if not xs or not all(isinstance(x, Tensor) for x in xs):
        raise TypeError(f"linearize: inputs must be a Tensor or a tuple/list of Tensors, got {type(inputs).__name__}")
    out = _call(fn, xs)

    def jvp_fn(v):
        return jvp(fn, inputs, v)[1]

    return out, jvp_fn
