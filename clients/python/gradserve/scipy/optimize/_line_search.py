"""mindspore.scipy.optimize.line_search: a step length along a direction meeting the strong Wolfe conditions
(Nocedal & Wright, Algorithms 3.5 / 3.6, as JAX's and MindSpore's), the function's values and gradients
computed by gradserve (value_and_grad), the search itself on the host."""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from ..._late import late
from ..._tensor import Tensor


class _LineSearchResults(NamedTuple):
    failed: bool
    nit: int
    nfev: int
    ngev: int
    k: int
    a_k: float
    f_k: float
    g_k: np.ndarray
    status: int  # 0 converged, 1 no step met the conditions within maxiter (pk not a descent direction, say)


def value_and_gradient(func: Callable, dtype) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """x (host) -> (func(x), d func / dx), through gradserve: func takes and returns Tensors."""
    both = late.ops.value_and_grad(func)

    def evaluate(x: np.ndarray) -> tuple[float, np.ndarray]:
        result: Any = both(Tensor(np.asarray(x, dtype)))  # (value, gradient): its stub reads it as no return
        value, grad = result
        return float(value._host_copy()), np.asarray(grad._host_copy(), np.float64)
    return evaluate


def search(fg, xk: np.ndarray, pk: np.ndarray, f0: float, g0: np.ndarray, c1: float = 1e-4, c2: float = 0.9,
           maxiter: int = 20) -> _LineSearchResults:
    """Strong Wolfe step a along pk from xk (f0, g0 its value and gradient); fg: x -> (f, g)."""
    d0 = float(g0 @ pk)
    evals = [0]

    def phi(a):
        evals[0] += 1
        f, g = fg(xk + a * pk)
        return f, g, float(g @ pk)

    def done(a, f, g, it, status):
        return _LineSearchResults(status != 0, it, evals[0], evals[0], it, float(a), float(f), g, status)

    a_prev, f_prev, d_prev, a = 0.0, f0, d0, 1.0
    for it in range(1, maxiter + 1):
        f, g, d = phi(a)
        if f > f0 + c1 * a * d0 or (it > 1 and f >= f_prev):
            return _zoom(phi, a_prev, f_prev, d_prev, a, f, f0, d0, c1, c2, maxiter, done, it)
        if abs(d) <= -c2 * d0:
            return done(a, f, g, it, 0)
        if d >= 0:
            return _zoom(phi, a, f, d, a_prev, f_prev, f0, d0, c1, c2, maxiter, done, it)
        a_prev, f_prev, d_prev, a = a, f, d, 2.0 * a
    return done(a_prev, f_prev, fg(xk + a_prev * pk)[1], maxiter, 1)


def _zoom(phi, lo, f_lo, d_lo, hi, f_hi, f0, d0, c1, c2, maxiter, done, it):
    """Algorithm 3.6: shrink [lo, hi] (the quadratic's minimum through f_lo, d_lo, f_hi, else the midpoint)."""
    for j in range(maxiter):
        span = hi - lo
        denom = 2.0 * (f_hi - f_lo - d_lo * span)
        a = lo - d_lo * span * span / denom if denom > 0 else lo + 0.5 * span
        if not min(lo, hi) + 0.1 * abs(span) <= a <= max(lo, hi) - 0.1 * abs(span):
            a = lo + 0.5 * span
        f, g, d = phi(a)
        if f > f0 + c1 * a * d0 or f >= f_lo:
            hi, f_hi = a, f
        else:
            if abs(d) <= -c2 * d0:
                return done(a, f, g, it + j + 1, 0)
            if d * (hi - lo) >= 0:
                hi, f_hi = lo, f_lo
            lo, f_lo, d_lo = a, f, d
    f, g, _ = phi(lo)
    return done(lo, f, g, it + maxiter, 1)


def line_search(f, xk, pk, jac=None, gfk=None, old_fval=None, old_old_fval=None, c1=1e-4, c2=0.9, maxiter=20):
    """A step a_k along pk from xk meeting the strong Wolfe conditions (sufficient decrease c1, curvature c2):
    (failed, nit, nfev, ngev, k, a_k, f_k, g_k, status). f takes and returns Tensors; its gradient is
    gradserve's (jac, if given, is used instead)."""
    x = np.asarray(xk._host_copy() if isinstance(xk, Tensor) else xk, np.float64)
    p = np.asarray(pk._host_copy() if isinstance(pk, Tensor) else pk, np.float64)
    dtype = xk._dtype if isinstance(xk, Tensor) else "float64"
    fg = value_and_gradient(f, dtype) if jac is None else (
        lambda v: (float(f(Tensor(v.astype(dtype)))._host_copy()), np.asarray(jac(Tensor(v.astype(dtype)))._host_copy(),
                                                                          np.float64)))
    f0, g0 = fg(x) if gfk is None or old_fval is None else (float(old_fval), np.asarray(gfk, np.float64))
    return search(fg, x, p, f0, g0, c1, c2, maxiter)
