"""LU with partial pivoting of rectangular matrices (LAPACK getrf of [..., m, n]) through the engine's square
lu, with its derivative: for torch.linalg.lu / lu_factor (torch_linalg.py) and @lapack_?getrf_ffi
(jax_lapack.py)."""
from __future__ import annotations

import numpy as np

from ._shared.composites import mT as _mT


def _trisolve(w, a, b, lower=True, transpose_a=False, unit_diagonal=False):
    return w.emit1("triangular_solve", [a, b], {"lower": lower, "transpose_a": transpose_a,
                                                "unit_diagonal": unit_diagonal}, w.shape(b), w.dtype(b))


def _sq_lu(w, a):
    shape = list(w.shape(a))
    return w.emit("lu", [a], {}, [(shape, w.dtype(a)), (shape[:-1], "int32"), (shape[:-2], "int32")])


def rows(w, x, perm):
    """x[..., perm, :] (perm int32 [..., m])."""
    idx = w.broadcast_to(w.reshape(w.cast(perm, "int64"), list(w.shape(perm)) + [1]), w.shape(x))
    return w.emit1("take_along_axis", [x, idx], {"axis": len(w.shape(x)) - 2}, w.shape(x), w.dtype(x))


def part(w, x, axis, start, stop):
    items = [[0, d, 1] for d in w.shape(x)]
    items[axis % len(items)] = [start, stop, 1]
    return w.index(x, items)


def lu_any(w, a):
    """LU with partial pivoting of a rectangular a through the engine's square lu, with its derivative.
    Wide (m < n): the pivots depend on the first m columns only: lu of those, U's rest L^-1 P^T a[..., m:].
    Tall (m > n): the pivots are those of [a | 0] (its later columns are zero: no further swap; values only);
    P^T a's top n rows factor without a swap (each pivot won over a superset of them): lu of that block,
    L's rest (P^T a)[n:] U^-1."""
    *batch, m, n = w.shape(a)
    if m == n:
        return _sq_lu(w, a)
    nd = len(batch) + 2
    if m < n:
        lu_l, piv, info = _sq_lu(w, part(w, a, -1, 0, m))
        perm = w.emit1("lu_pivots_to_permutation", [piv], {"permutation_size": m}, batch + [m], "int32")
        u2 = _trisolve(w, lu_l, rows(w, part(w, a, -1, m, n), perm), lower=True, unit_diagonal=True)
        return w.concat([lu_l, u2], nd - 1), piv, info
    zeros = w.const(np.zeros(batch + [m, m - n], w.dtype(a)))
    _, piv_m, _ = _sq_lu(w, w.concat([w.unary("stop_gradient", a), zeros], nd - 1))
    piv = part(w, piv_m, -1, 0, n)
    pa = rows(w, a, w.emit1("lu_pivots_to_permutation", [piv], {"permutation_size": m}, batch + [m], "int32"))
    lu_top, _, info = _sq_lu(w, part(w, pa, -2, 0, n))
    l21 = _mT(w, _trisolve(w, lu_top, _mT(w, part(w, pa, -2, n, m)), lower=False, transpose_a=True))
    return w.concat([lu_top, l21], nd - 2), piv, info
