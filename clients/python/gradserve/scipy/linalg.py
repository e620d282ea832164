"""`mindspore.scipy.linalg`: solve_triangular, cholesky, cho_factor, cho_solve, inv, det, eigh, lu,
lu_factor, lu_solve, block_diag and lstsq, with scipy.linalg's arguments and MindSpore 2.10's checks (a wrong
argument type a TypeError, a wrong shape or an argument it does not implement a ValueError), over the
engine's triangular_solve / cholesky / matrix_inverse / slogdet / eigh / lu (which give their derivatives to
any order; triangular_solve reads only the named triangle of a; eigh's eigenvectors' derivative is inf / NaN
at tied eigenvalues, and a complex a has none). cho_factor returns the factor with zeros in its other
triangle (scipy leaves arbitrary values there). lu_factor's pivots are scipy's (0-based, int32, as MindSpore
returns them); lu's p is the int32 permutation matrix with a = p l u (MindSpore's dtype; scipy's is float)."""
from __future__ import annotations

import functools

import numpy as np

from .. import dtype as _dt, ops as _ops
from .._tensor import Tensor
from .._trace import apply
from ..ops._ms_linalg_solve import lu_permutation, lu_solve_factored

__all__ = ["solve_triangular", "cholesky", "cho_factor", "cho_solve", "inv", "det", "eigh", "lu", "lu_factor",
           "lu_solve", "block_diag", "lstsq"]

_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}  # real matrices: C is T


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, debug=None,
                     check_finite=True):
    """x with op(A) x = b, A the lower (upper) triangle of a [..., n, n], op the transpose for trans 1 / 'T' /
    2 / 'C'; unit_diagonal takes A's diagonal as ones. b: [..., n] or [..., n, k]."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"solve_triangular: a and b must be Tensors, got {type(a).__name__} and {type(b).__name__}")
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"solve_triangular: a must be square matrices [..., n, n], got shape {list(a.shape)}")
    if a._dtype not in ("float32", "float64"):
        a = _ops.cast(a, "float32")
    b = _ops.cast(b, a._dtype) if b._dtype != a._dtype else b
    if unit_diagonal:
        eye = Tensor(np.eye(a.shape[-1], dtype=a._dtype))
        a = _ops.add(_ops.mul(a, _ops.sub(1.0, eye)), eye)
    vector = b.ndim == a.ndim - 1
    rhs = _ops.expand_dims(b, -1) if vector else b
    x = apply("triangular_solve", [a, rhs], {"lower": bool(lower), "transpose_a": _TRANS[trans]})[0]
    return _ops.squeeze(x, -1) if vector else x


def _square(a, where: str) -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"{where}: a must be a Tensor, got {type(a).__name__}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{where}: a must be square matrices [..., n, n], got shape {list(a.shape)}")
    return a if a._dtype in ("float32", "float64") else _ops.cast(a, "float32")


def cholesky(a, lower=False, overwrite_a=False, check_finite=True) -> Tensor:
    """The Cholesky factor of a symmetric positive-definite a: L (lower) or U = L^T."""
    return _ops.cholesky(_square(a, "cholesky"), upper=not lower)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """(c, lower): cholesky's factor and the triangle it is in, for cho_solve."""
    return cholesky(a, lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True) -> Tensor:
    """x with A x = b from cho_factor's (c, lower) of A."""
    c, lower = c_and_lower
    y = solve_triangular(c, b, trans=0 if lower else 1, lower=lower)
    return solve_triangular(c, y, trans=1 if lower else 0, lower=lower)


def inv(a, overwrite_a=False, check_finite=True) -> Tensor:
    return _ops.inverse(_square(a, "inv"))


def det(a, overwrite_a=False, check_finite=True) -> Tensor:
    return _ops.det(_square(a, "det"))


# -- MindSpore's argument checks (its messages' substance: the function, the argument, what it must be) --------
def _check_type(func: str, value, types, name: str) -> None:
    if not isinstance(value, types) or (types is int and isinstance(value, bool)):
        want = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
        raise TypeError(f"For '{func}', the type of '{name}' must be {want}, but got {type(value).__name__}")


def _check_tensor(func: str, a, dtypes, name: str = "a") -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"For '{func}', '{name}' must be a Tensor, but got {type(a).__name__}")
    if a._dtype not in dtypes:
        raise TypeError(f"For '{func}', the dtype of '{name}' must be one of {list(dtypes)}, but got {a._dtype}")
    return a


def _check_square_2d(func: str, a: Tensor, name: str = "a") -> None:
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"For '{func}', '{name}' must be a square matrix [n, n], but got shape {list(a.shape)}")


def _as_float64_if_int(a: Tensor) -> Tensor:
    return _ops.cast(a, "float64") if a._dtype in ("int32", "int64") else a


_REAL = ("int32", "int64", "float32", "float64")


# -- eigh ------------------------------------------------------------------------------------------------------
def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False, turbo=True,
         eigvals=None, type=1, check_finite=True):  # noqa: A002 - scipy's name
    """(w ascending, v) of the symmetric (complex: Hermitian) matrix a's lower (upper) triangle defines; w alone
    with eigvals_only. Integer a is taken as float64; a complex a's w is complex (MindSpore's dtype). The
    generalized problem (b) and eigvals ranges are not implemented (ValueError, as MindSpore)."""
    for name, value in (("lower", lower), ("eigvals_only", eigvals_only), ("overwrite_a", overwrite_a),
                        ("overwrite_b", overwrite_b), ("turbo", turbo)):
        _check_type("eigh", value, bool, name)
    _check_type("eigh", type, int, "type")
    _check_type("eigh", check_finite, bool, "check_finite")
    _check_tensor("eigh", a, _REAL + ("complex64", "complex128"))
    _check_square_2d("eigh", a)
    if b is not None:
        raise ValueError("For 'eigh', the generalized eigenproblem (b) is not implemented: b must be None")
    if eigvals is not None:
        raise ValueError("For 'eigh', eigvals (a range of eigenvalues) is not implemented: it must be None")
    return _ops.Eigh(not eigvals_only, lower)(_as_float64_if_int(a))


# -- lu ----------------------------------------------------------------------------------------------------------
def _lu_wide(a: Tensor):
    """(packed L\\U [m, n], 0-based int32 pivots [m], P [m, m] float) of a [m, n], m <= n: the engine's lu of
    the first m columns (the pivots depend on those only), U's rest L^-1 P a[:, m:]."""
    m, n = a.shape
    left = a if m == n else a[:, :m]
    packed, piv1 = apply("lu", [left], {})[:2]
    piv0 = _ops.sub(piv1, 1)
    perm = lu_permutation(piv1, m, a._dtype)
    if m < n:
        rest = _ops.matmul(perm, a[:, m:])  # one-hot rows: exact
        u2 = apply("triangular_solve", [packed, rest], {"lower": True, "unit_diagonal": True})[0]
        packed = _ops.concat([packed, u2], 1)
    return packed, piv0, perm


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    """(p, l, u) with a = p l u (p int32, l unit lower [m, m], u upper [m, n]); (p l, u) with permute_l. a: [m, n]
    with m <= n (as MindSpore: a taller matrix is a ValueError); integer a is taken as float64."""
    _check_type("lu", permute_l, bool, "permute_l")
    _check_type("lu", overwrite_a, bool, "overwrite_a")
    _check_type("lu", check_finite, bool, "check_finite")
    packed, _, perm_t = lu_parts("lu", a)
    m = packed.shape[0]
    l = _ops.add(_ops.tril(packed[:, :m], -1), Tensor(np.eye(m, dtype=packed._dtype)))  # noqa: E741 - scipy's
    u = _ops.triu(packed)
    return (_ops.matmul(perm_t, l), u) if permute_l else (_ops.cast(perm_t, "int32"), l, u)


def lu_parts(func: str, a) -> tuple[Tensor, Tensor, Tensor]:
    """(packed L\\U, 0-based int32 pivots, P^T) of a [m, n], m <= n (MindSpore's LU op; lu's checks)."""
    _check_tensor(func, a, _REAL)
    if a.ndim != 2:
        raise ValueError(f"For '{func}', 'a' must be a matrix [m, n], but got shape {list(a.shape)}")
    m, n = a.shape
    if m > n:
        raise ValueError(f"For '{func}', a [m, n] must have m <= n (rows at most columns), but got shape {[m, n]}")
    packed, piv0, perm = _lu_wide(_as_float64_if_int(a))
    return packed, piv0, _ops.transpose(perm, (1, 0))


def lu_factor(a, overwrite_a=False, check_finite=True):
    """(lu, piv): the packed factor of square a (L's strict lower triangle below U) and scipy's 0-based int32
    pivots (row i was swapped with row piv[i], in order)."""
    _check_type("lu_factor", overwrite_a, bool, "overwrite_a")
    _check_type("lu_factor", check_finite, bool, "check_finite")
    _check_tensor("lu_factor", a, _REAL)
    _check_square_2d("lu_factor", a)
    packed, piv0, _ = _lu_wide(_as_float64_if_int(a))
    return packed, piv0


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """x with A x = b (trans 0), A^T x = b (1, 2: real A), A = P^T L U given by lu_factor's (lu, piv).
    b: [n] or [n, k]."""
    lu_matrix, piv = lu_and_piv
    _check_type("lu_solve", overwrite_b, bool, "overwrite_b")
    _check_type("lu_solve", check_finite, bool, "check_finite")
    _check_tensor("lu_solve", lu_matrix, _REAL, "lu_matrix")
    _check_tensor("lu_solve", b, _REAL, "b")
    _check_tensor("lu_solve", piv, ("int32",), "pivot")
    _check_square_2d("lu_solve", lu_matrix, "lu_matrix")
    n = lu_matrix.shape[0]
    if b.ndim not in (1, 2) or b.shape[0] != n:
        raise ValueError(f"For 'lu_solve', 'b' must be [{n}] or [{n}, k] (lu_matrix {[n, n]}), "
                         f"but got shape {list(b.shape)}")
    if piv.ndim != 1 or piv.shape[0] != n:
        raise ValueError(f"For 'lu_solve', 'pivot' must be [{n}], but got shape {list(piv.shape)}")
    if trans not in (0, 1, 2):
        raise ValueError(f"For 'lu_solve', 'trans' must be 0, 1 or 2, but got {trans!r}")
    if b._dtype != lu_matrix._dtype:  # (MindSpore's check; a cast could drop b's precision unseen)
        raise TypeError(f"For 'lu_solve', the dtypes of 'lu_matrix' and 'b' must be the same, but got "
                        f"{lu_matrix._dtype} and {b._dtype}")
    lu_matrix = _as_float64_if_int(lu_matrix)
    rhs = _ops.cast(b, lu_matrix._dtype) if b._dtype != lu_matrix._dtype else b  # (an int pair: float64)
    vector = rhs.ndim == 1
    rhs = _ops.expand_dims(rhs, -1) if vector else rhs
    x = lu_solve_factored(lu_matrix, _ops.add(piv, 1), rhs, transpose=trans != 0)
    return _ops.squeeze(x, -1) if vector else x


# -- block_diag ----------------------------------------------------------------------------------------------------
def block_diag(*arrs) -> Tensor:
    """The block-diagonal matrix of the arguments (each at most 2-D: a scalar is [1, 1], a vector one row),
    in the arguments' promoted dtype (MindSpore's promotion); no arguments: an empty float32 [1, 0] (MindSpore's)."""
    if not arrs:
        return Tensor(np.zeros((1, 0), np.float32))
    blocks = [a if isinstance(a, Tensor) else Tensor(a) for a in arrs]
    if any(t.ndim > 2 for t in blocks):
        raise ValueError("Arguments to mindspore.scipy.linalg.block_diag must have at most 2 dimensions.")
    dtype = functools.reduce(_dt.promote, [t._dtype for t in blocks])  # (MindSpore's: int32 x float32 is float32)
    blocks = [_ops.reshape(t, (1, -1) if t.ndim == 1 else (1, 1)) if t.ndim < 2 else t for t in blocks]
    widths = [t.shape[1] for t in blocks]
    total, rows, start = sum(widths), [], 0
    for t, w in zip(blocks, widths):
        t = _ops.cast(t, dtype) if t._dtype != dtype else t
        left, right = np.zeros((t.shape[0], start), dtype), np.zeros((t.shape[0], total - start - w), dtype)
        rows.append(_ops.concat([Tensor(left), t, Tensor(right)], 1))
        start += w
    return _ops.concat(rows, 0)


# -- lstsq -----------------------------------------------------------------------------------------------------
_LSTSQ_DRIVERS = (None, "gels", "gelsy", "gelss", "gelsd")


def lstsq(A, B, rcond=None, driver=None):
    """(solution, residual, rank, singular_value) of A X = B in the least-squares sense, MindSpore 2.10's
    outputs: the solution is pinv(A) B (the minimum-norm one; singular values at or below eps times the largest
    count as 0, LAPACK's rcond = -1; `rcond` is ignored, as MindSpore's), for every driver (they agree where A
    has full rank). What each driver fills, as MindSpore: the residual (sum of squares of A X - B per column,
    [*, K]) for gels / gelss / gelsd where M > N; the rank (int64, [*]) for all but gels; the singular values
    ([*, min(M, N)]) for gelss / gelsd; an output not filled is an empty Tensor. Only the solution is
    differentiated (MindSpore's rule: the residual's and singular values' gradients are 0)."""
    for name, t in (("A", A), ("B", B)):
        if not isinstance(t, Tensor):
            raise TypeError(f"For 'lstsq', '{name}' must be a Tensor, but got {type(t).__name__}")
    if driver not in _LSTSQ_DRIVERS:
        raise ValueError(f"For 'lstsq', driver must be one of {list(_LSTSQ_DRIVERS)}, but got {driver!r}")
    if A._dtype != B._dtype:
        raise TypeError(f"For 'lstsq', the dtypes of A and B must be the same, but got {A._dtype} and {B._dtype}")
    if A._dtype not in ("float32", "float64"):
        raise TypeError(f"For 'lstsq', the dtype of A must be float32 or float64, but got {A._dtype}")
    if A.ndim < 2:
        raise ValueError(f"For 'lstsq', A must have at least 2 dimensions, but got shape {list(A.shape)}")
    vector = B.ndim == A.ndim - 1
    rhs = _ops.expand_dims(B, -1) if vector else B
    if rhs.ndim < 2 or rhs.shape[-2] != A.shape[-2]:
        raise ValueError(f"For 'lstsq', the last two dimensions of A and B should match as [..., M, N] and "
                         f"[..., M, K] or [..., M], but got shapes {list(A.shape)} and {list(B.shape)}")
    m, n = A.shape[-2:]
    eps = float(np.finfo(A._dtype).eps)
    x = _ops.matmul(_ops.pinv(A, rtol=eps), rhs)
    s = _ops.stop_gradient(apply("svd", [A], {})[1])
    empty = Tensor(np.zeros((0,), A._dtype))
    residual = empty
    if driver in ("gels", "gelss", "gelsd") and m > n:
        residual = _ops.stop_gradient(_ops.square(_ops.matmul(A, x) - rhs).sum(axis=-2))
    rank = Tensor(np.zeros((0,), np.int64))
    if driver != "gels":
        rank = _ops.cast(s > s.max(axis=-1, keepdims=True) * eps, "int64").sum(axis=-1)
    sv = s if driver in ("gelss", "gelsd") else empty
    return (_ops.squeeze(x, -1) if vector else x), residual, rank, sv
