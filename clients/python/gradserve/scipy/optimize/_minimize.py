"""mindspore.scipy.optimize.minimize with method 'BFGS' or 'LBFGS' (its two): quasi-Newton descent on the
host over the function's values and gradients computed by gradserve, steps by line_search's strong Wolfe
search; the result in x0's dtype."""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..._tensor import Tensor
from ._line_search import search, value_and_gradient


class OptimizeResults(NamedTuple):
    x: Any
    success: bool
    status: int  # 0 converged, 1 maxiter reached, 2 (or the line search's status) a line search failed
    fun: float
    jac: Any
    hess_inv: Any
    nfev: int
    njev: int
    nit: int


def _bfgs(fg, x, maxiter: int, gtol: float, _memory: int):
    f, g = fg(x)
    h, evals, status = np.eye(len(x)), 1, 1
    for it in range(maxiter):
        if np.abs(g).max() <= gtol:
            return x, f, g, h, evals, it, 0
        step = search(fg, x, -h @ g, f, g)
        evals += step.nfev
        if step.failed:
            return x, f, g, h, evals, it, 2 + step.status
        s = step.a_k * (-h @ g)
        y = step.g_k - g
        x, f, g = x + s, step.f_k, step.g_k
        sy = float(s @ y)
        if sy > 0:
            rho, eye = 1.0 / sy, np.eye(len(x))
            h = (eye - rho * np.outer(s, y)) @ h @ (eye - rho * np.outer(y, s)) + rho * np.outer(s, s)
    return x, f, g, h, evals, maxiter, status if np.abs(g).max() > gtol else 0


def _lbfgs(fg, x, maxiter: int, gtol: float, memory: int):
    f, g = fg(x)
    pairs: list[tuple[np.ndarray, np.ndarray, float]] = []
    evals = 1
    for it in range(maxiter):
        if np.abs(g).max() <= gtol:
            return x, f, g, None, evals, it, 0
        q, alphas = g.copy(), []  # the two-loop recursion: q = H g
        for s, y, rho in reversed(pairs):
            alpha = rho * float(s @ q)
            alphas.append(alpha)
            q -= alpha * y
        if pairs:
            s, y, _ = pairs[-1]
            q *= float(s @ y) / float(y @ y)
        for (s, y, rho), alpha in zip(pairs, reversed(alphas)):
            q += s * (alpha - rho * float(y @ q))
        step = search(fg, x, -q, f, g)
        evals += step.nfev
        if step.failed:
            return x, f, g, None, evals, it, 2 + step.status
        s = -step.a_k * q
        y = step.g_k - g
        x, f, g = x + s, step.f_k, step.g_k
        if float(s @ y) > 0:
            pairs = (pairs + [(s, y, 1.0 / float(s @ y))])[-memory:]
    return x, f, g, None, evals, maxiter, 1 if np.abs(g).max() > gtol else 0


def minimize(func, x0, args=(), method=None, jac=None, hess=None, hessp=None, bounds=None, constraints=(),
             tol=None, callback=None, options=None):
    """Minimize func (Tensor -> scalar Tensor) from x0 (1-D) by 'BFGS' or 'LBFGS'; options: maxiter (None:
    200 per variable), gtol (the gradient's largest element at convergence, 1e-5), maxcor (LBFGS's memory, 10).
    Returns (x, success, status, fun, jac, hess_inv, nfev, njev, nit)."""
    name = str(method).upper() if method is not None else ""
    if name not in ("BFGS", "LBFGS"):
        raise ValueError(f"For 'minimize', 'method' must be 'BFGS' or 'LBFGS' (MindSpore's), got {method!r}")
    if not isinstance(x0, Tensor) or x0.ndim != 1:
        raise ValueError(f"For 'minimize', 'x0' must be a 1-D Tensor, got "
                         f"{list(x0.shape) if isinstance(x0, Tensor) else type(x0).__name__}")
    if args or jac is not None or hess is not None or hessp is not None or bounds is not None or constraints \
            or callback is not None:
        raise ValueError("For 'minimize', args, jac, hess, hessp, bounds, constraints and callback are not supported "
                         "(MindSpore's BFGS / LBFGS take none: the gradient is automatic)")
    options = dict(options or {})
    x = np.asarray(x0._host_copy(), np.float64)
    maxiter = options.get("maxiter") or 200 * len(x)
    gtol = float(options.get("gtol", tol if tol is not None else 1e-5))
    solve = _bfgs if name == "BFGS" else _lbfgs
    x, f, g, h, evals, it, status = solve(value_and_gradient(func, x0._dtype), x, int(maxiter), gtol,
                                          int(options.get("maxcor", 10)))
    as_tensor = lambda v: Tensor(np.asarray(v, x0._dtype))  # noqa: E731
    return OptimizeResults(as_tensor(x), status == 0, status, f, as_tensor(g),
                           None if h is None else as_tensor(h), evals, evals, it)
