"""MindSpore 2.10's dense factorisations and solves over the engine's cholesky / triangular_solve / solve /
matrix_inverse / slogdet / det ops (engine/ops/linalg_solve.py): cholesky / Cholesky, inverse / MatrixInverse,
matrix_solve / MatrixSolve, slogdet / LogMatrixDeterminant, det, logdet, cholesky_solve / CholeskySolve,
MatrixTriangularSolve, cholesky_inverse / CholeskyInverse, lu_solve (and Tensor.lu_solve) from lu's factor
and LAPACK's 1-based pivots, Tensor.slogdet, matrix_exp / MatrixExp (the engine's matrix_exp composite). Matrices are the last two axes; inverse / matrix_solve / slogdet / det /
logdet also take complex matrices (adjoint: the conjugate transpose); the rest real only.
Derivatives are the engine ops' own, to any order (MindSpore 2.10's CPU build has no CholeskyGrad).
A matrix with no factor / no inverse gives NaN (as JAX; MindSpore raises)."""
from __future__ import annotations

import builtins

import numpy as np

from .._tensor import Tensor
from .._trace import apply
from ._extra import P
from ._ms_more import _Fn

__all__ = ["cholesky", "Cholesky", "inverse", "MatrixInverse", "matrix_solve", "MatrixSolve", "slogdet",
           "LogMatrixDeterminant", "det", "logdet", "cholesky_solve", "CholeskySolve", "MatrixTriangularSolve",
           "cholesky_inverse", "CholeskyInverse", "lu_solve", "matrix_exp", "MatrixExp"]


def _mT(x):
    nd = x.ndim
    return P.transpose(x, tuple(builtins.range(nd - 2)) + (nd - 1, nd - 2))


def _adjoint(x):
    """x^H: the conjugate transpose (adjoint=True of MatrixSolve / MatrixInverse; x^T for a real x)."""
    return _mT(_op("conj", x) if x.dtype.name.startswith("complex") else x)


def _op(name, *inputs, **attrs):
    return apply(name, list(inputs), attrs)[0]


def cholesky(input_x, upper: bool = False):
    """L with L L^T = input_x (upper=True: U = L^T, U^T U = input_x); reads input_x's symmetric part."""
    low = _op("cholesky", input_x)
    return _mT(low) if upper else low


def inverse(input):  # noqa: A002 - MindSpore's name
    return _op("matrix_inverse", input)


def matrix_solve(matrix, rhs, adjoint: bool = False):
    """x with matrix x = rhs (adjoint=True: matrix^H x = rhs); rhs [..., n, k]."""
    return _op("solve", _adjoint(matrix) if adjoint else matrix, rhs)


def slogdet(input):  # noqa: A002
    """(sign, log|det|) of input [..., n, n]; the sign's derivative is zero."""
    sign, logabsdet = apply("slogdet", [input], {})
    return sign, logabsdet


_DET_DTYPES = ("float16", "float32", "float64", "complex64", "complex128")


def det(input):  # noqa: A002
    """det of input [..., n, n]: the engine's det op, whose derivatives (det_grad, engine/ops/linalg_det.py) are
    exact to any order at singular matrices too: the first is the adjugate's transpose (as torch's; MindSpore 2.10
    gives zeros at a singular matrix, wrong wherever the rank is n - 1)."""
    if isinstance(input, Tensor) and input.dtype.name not in _DET_DTYPES:  # MindSpore's TypeError for the dtype
        raise TypeError(f"det: input must be a floating-point or complex Tensor, got {input.dtype.name} "
                        f"{list(input.shape)}")
    return _op("det", input)  # a non-square input: the op's shape rule, a ShapeError (MindSpore's ValueError)


def matrix_exp(input):  # noqa: A002
    """exp of each matrix of input [..., n, n] (float16 / float32 / float64 / complex64 / complex128): the engine's
    matrix_exp (scaling and squaring, Padé 13 / 7), differentiable to any order. NaN where the 1-norm is past the
    squarings a graph holds (~1.5e15 64-bit, ~6.6e7 32-bit; engine/ops/linalg_expm.py). MindSpore 2.10's CPU build
    has no MatrixExp kernel; its documented example and dtypes are the reference."""
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'matrix_exp', the input must be a Tensor, but got {type(input).__name__}.")
    if input.dtype.name not in _DET_DTYPES:
        raise TypeError(f"For 'matrix_exp', the input must be float16, float32, float64, complex64 or complex128, "
                        f"but got {input.dtype.name}.")
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise ValueError(f"For 'matrix_exp', the input must be square matrices [..., n, n], but got shape "
                         f"{list(input.shape)}.")
    return _op("matrix_exp", input)


def logdet(input):  # noqa: A002
    """log(det): NaN where det < 0, -inf where it is 0 (log of the sign added to log|det|)."""
    sign, logabsdet = slogdet(input)
    return logabsdet + P.log(sign)


def cholesky_solve(input, input2, upper: bool = False):  # noqa: A002
    """x with A x = input, A = input2 input2^T (upper=True: input2^T input2), input2 a Cholesky factor."""
    y = _op("triangular_solve", input2, input, lower=not upper, transpose_a=upper)
    return _op("triangular_solve", input2, y, lower=not upper, transpose_a=not upper)


class Cholesky(_Fn):
    """ops.Cholesky(upper=False)(x)."""

    op = "cholesky"

    def __init__(self, upper: bool = False):
        super().__init__()
        self.upper = bool(upper)

    def __call__(self, input_x):
        return cholesky(input_x, self.upper)


class MatrixInverse(_Fn):
    """ops.MatrixInverse(adjoint=False)(x): the inverse of x (adjoint=True: of x^H)."""

    op = "matrix_inverse"

    def __init__(self, adjoint: bool = False):
        super().__init__()
        self.adjoint = bool(adjoint)

    def __call__(self, x):
        return inverse(_adjoint(x) if self.adjoint else x)


class MatrixSolve(_Fn):
    """ops.MatrixSolve(adjoint=False)(matrix, rhs)."""

    op = "solve"

    def __init__(self, adjoint: bool = False):
        super().__init__()
        self.adjoint = bool(adjoint)

    def __call__(self, matrix, rhs):
        return matrix_solve(matrix, rhs, self.adjoint)


class MatrixExp(_Fn):
    """ops.MatrixExp()(x): matrix_exp(x)."""

    op = "matrix_exp"

    def __call__(self, x):
        return matrix_exp(x)


class LogMatrixDeterminant(_Fn):
    """ops.LogMatrixDeterminant()(x) -> (sign, log|det|)."""

    def __call__(self, input):  # noqa: A002 - MindSpore's names
        return slogdet(input)


class CholeskySolve(_Fn):
    """ops.CholeskySolve(upper=False)(x1, x2): cholesky_solve(x1, x2, upper)."""

    def __init__(self, upper: bool = False):
        super().__init__()
        self.upper = bool(upper)

    def __call__(self, x1, x2):
        return cholesky_solve(x1, x2, self.upper)


class MatrixTriangularSolve(_Fn):
    """ops.MatrixTriangularSolve(lower=True, adjoint=False)(matrix, rhs): x with op(T) x = rhs, T matrix's
    lower (upper) triangle, op the transpose when adjoint."""

    op = "triangular_solve"

    def __init__(self, lower: bool = True, adjoint: bool = False):
        super().__init__()
        self.lower, self.adjoint = bool(lower), bool(adjoint)

    def __call__(self, matrix, rhs):
        return _op("triangular_solve", matrix, rhs, lower=self.lower, transpose_a=self.adjoint)


def cholesky_inverse(input_x, upper: bool = False):
    """The inverse of A = L L^T (upper=True: A = U^T U) from its Cholesky factor input_x ([n, n]): two
    triangular solves against the identity (cholesky_solve)."""
    if input_x.ndim != 2 or input_x.shape[0] != input_x.shape[1]:
        raise ValueError(f"cholesky_inverse: input_x must be a square matrix [n, n], got shape {list(input_x.shape)}")
    eye = Tensor(np.eye(input_x.shape[0], dtype=input_x.dtype.name))
    return cholesky_solve(eye, input_x, upper)


class CholeskyInverse(_Fn):
    """ops.CholeskyInverse(upper=False)(input_x): cholesky_inverse."""

    op = "triangular_solve"

    def __init__(self, upper: bool = False):
        super().__init__()
        self.upper = bool(upper)

    def __call__(self, input_x):
        return cholesky_inverse(input_x, self.upper)


def lu_permutation(pivots, n: int, dtype: str) -> Tensor:
    """P [..., n, n] (one-hot rows, dtype) with (P a)[i] = a[perm[i]], from LAPACK's 1-based pivots [..., n]
    (row k swapped with row pivots[k] - 1, in order): P a = L U."""
    perm = _op("lu_pivots_to_permutation", P.cast(pivots, "int32"), permutation_size=int(n))
    return P.cast(P.equal(P.expand_dims(perm, -1), Tensor(np.arange(n, dtype=np.int32))), dtype)


def lu_solve_factored(lu, pivots, rhs, transpose: bool = False):
    """x with A x = rhs (transpose: A^T x = rhs), A = P^T L U given by lu's packed factor [..., n, n] and its
    1-based pivots; rhs [..., n, k]. Two triangular solves and a row permutation (exact: one-hot rows)."""
    perm = lu_permutation(pivots, lu.shape[-1], lu.dtype.name)

    def tri(lower, x):
        return _op("triangular_solve", lu, x, lower=lower, transpose_a=transpose, unit_diagonal=lower)
    if not transpose:  # L U x = P rhs
        return tri(False, tri(True, P.matmul(perm, rhs)))
    return P.matmul(_mT(perm), tri(True, tri(False, rhs)))  # U^T L^T P x = rhs


def lu_solve(b, LU_data, LU_pivots):  # noqa: N803 - MindSpore's names
    """ops.lu_solve(b, LU_data, LU_pivots): x with A x = b, A given by its LU factor LU_data [..., n, n] (L's
    strict lower triangle below U) and 1-based int32 pivots [..., n] (torch.linalg.lu_factor's); b [..., n, k]."""
    n = LU_data.shape[-1]
    if LU_data.ndim < 2 or LU_data.shape[-2] != n or b.ndim < 2 or b.shape[-2] != n:
        raise ValueError(f"lu_solve: LU_data must be [..., n, n] and b [..., n, k], got {list(LU_data.shape)} and "
                         f"{list(b.shape)}")
    if LU_pivots.dtype.name != "int32" or tuple(LU_pivots.shape) != tuple(LU_data.shape[:-1]):
        raise TypeError(f"lu_solve: LU_pivots must be int32 {list(LU_data.shape[:-1])}, got "
                        f"{LU_pivots.dtype.name} {list(LU_pivots.shape)}")
    return lu_solve_factored(LU_data, LU_pivots, b)


setattr(Tensor, "lu_solve", lambda self, LU_data, LU_pivots: lu_solve(self, LU_data, LU_pivots))  # noqa: B010,N803
setattr(Tensor, "slogdet", lambda self: slogdet(self))  # noqa: B010 - MindSpore's Tensor.slogdet
