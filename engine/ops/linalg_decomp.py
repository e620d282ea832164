"""QR and symmetric eigendecompositions of stacks of real matrices (batch axes lead), as LAPACK
geqrf + orgqr and syevd compute them (what torch.linalg.qr / eigh and jnp.linalg.qr / eigh run):

  qr(a [..., m, n]) -> (q [..., m, k], r [..., k, n]), k = min(m, n): the reduced factorisation a = q r,
      q with orthonormal columns, r upper triangular (LAPACK's signs: r's diagonal may be negative).
  eigh(a [..., n, n], lower) -> (w [..., n] ascending, v [..., n, n]): the eigenpairs of the symmetric
      matrix that a's lower (upper) triangle defines, as LAPACK reads it; the other triangle is ignored. A
      complex a is Hermitian (heevd: the conjugate mirrored, the diagonal's imaginary part ignored; w real).

Derivatives are the standard ones, as graph ops (so they differentiate again). qr: JAX's jvp, PyTorch's
vjp (Walter & Lehmann / arXiv 2009.10071, Q R1 = a[..., :m] and r2 = q^T a[..., m:] for a wide a).
Both need r's diagonal nonzero (a of full rank): they divide by it, as JAX's and PyTorch's do. eigh:
dw = diag(v^T ds v), dv = v (F o v^T ds v), F_ij = 1 / (w_j - w_i) off the diagonal; v's derivative is
NaN at tied eigenvalues (the vectors are not unique there), w's is not. A tie is a gap within rounding
(TIE_ULPS sqrt(n) eps max|w|: LAPACK splits a repeated eigenvalue by ~1e-15, and 1 / gap made its noise a
finite, wrong gradient, as torch's and JAX's still are); a tied pair the cotangent does not move adds 0, not
NaN. A complex (Hermitian) a has no derivative here: asking for one is a DifferentiationError naming eigh.
"""
from __future__ import annotations

import numpy as np

from ..errors import DifferentiationError
from ..ir import COMPLEX_DTYPES
from ._infer import rule_infer
from .composite import dtype_name
from .linalg_solve import _mask, _mT, _trisolve
from .registry import Attr, defop, impl_rules, jvp_rules, matrix_flops, vjp_rules


# -- impls -------------------------------------------------------------------------------------------
def _half_via_float32(fn):
    """LAPACK (and torch's CPU kernels) have no half precision: float32, the results rounded back."""
    def impl(xp, a, **attrs):
        if dtype_name(a.dtype) == "float16":
            return tuple(xp.astype(t, xp.float16) for t in fn(xp, xp.astype(a, xp.float32), **attrs))
        return fn(xp, a, **attrs)
    return impl


@_half_via_float32
def _qr_impl(xp, a):
    q, r = xp.linalg.qr(a, mode="reduced")
    return q, r


def _symmetric_from(xp, a, lower):
    """The symmetric (Hermitian: complex a) matrix a's lower (upper) triangle defines; LAPACK's heevd reads
    only the real part of the diagonal."""
    t = xp.tril(a) if lower else xp.triu(a)
    mirror = xp.matrix_transpose(xp.tril(a, k=-1) if lower else xp.triu(a, k=1))
    if _is_complex(a):
        eye = xp.eye(a.shape[-1], dtype=a.dtype)
        return t - eye * (a - xp.conj(a)) / 2 + xp.conj(mirror)  # i imag(a_kk) off the diagonal
    return t + mirror


def _is_complex(a) -> bool:
    return dtype_name(a.dtype).startswith("complex")


def _no_convergence(e: Exception) -> bool:
    return "LinAlgError" in type(e).__name__  # (NumPy's LinAlgError, PyTorch's _LinAlgError)


@_half_via_float32
def _eigh_impl(xp, a, lower=True):
    s = _symmetric_from(xp, a, lower)
    try:
        return tuple(xp.linalg.eigh(s))
    except Exception as e:  # noqa: BLE001
        if not _no_convergence(e):
            raise
    # LAPACK gave up (NaN / inf entries): NaN eigenpairs for the matrices it failed on, as JAX answers
    n, batch = a.shape[-1], tuple(a.shape[:-2])
    flat = xp.reshape(s, (-1, n, n))
    ws, vs = [], []
    for i in range(flat.shape[0]):
        try:
            w, v = xp.linalg.eigh(flat[i, ...])
        except Exception as e:  # noqa: BLE001
            if not _no_convergence(e):
                raise
            w = xp.full((n,), float("nan"), dtype=xp.real(flat[i, ...]).dtype)
            v = xp.full((n, n), float("nan"), dtype=a.dtype)
        ws.append(w)
        vs.append(v)
    return xp.reshape(xp.stack(ws, axis=0), batch + (n,)), xp.reshape(xp.stack(vs, axis=0), batch + (n, n))


# -- qr ------------------------------------------------------------------------------------------------
def _cols(b, x, start, stop):
    """x[..., start:stop] (the last axis)."""
    return b.index(x, index=[[0, d, 1] for d in x.shape[:-1]] + [[start, stop, 1]])


def _copyltu(b, m):
    """m's lower triangle mirrored into the upper one (the diagonal once)."""
    return b.add(_mask(b, m, True), _mT(b, _mask(b, m, True, 0.0)))


def _qr_vjp_tall(b, q, r, gq, gr):
    """m >= n: ga = (gq + q copyltu(M)) r^-T, M = r gr^T - gq^T q."""
    m = None if gr is None else b.matmul(r, gr, transpose_b=True)
    if gq is not None:
        m = b.add_any(m, b.neg(b.matmul(gq, q, transpose_a=True)))
    lhs = b.add_any(gq, b.matmul(q, _copyltu(b, m)))
    return _mT(b, _trisolve(b, r, _mT(b, lhs), lower=False))  # (r^-1 lhs^T)^T


def _qr_vjp(b, ins, outs, cts):
    q, r = outs
    gq, gr = cts
    if gq is None and gr is None:
        return [None]
    _refuse_complex(b, ins[0], "qr")
    m, n = q.shape[-2], r.shape[-1]
    if m >= n:
        return [_qr_vjp_tall(b, q, r, gq, gr)]
    # wide: a = [x | y], x = q r1 (square), r2 = q^T y
    y, r1 = _cols(b, ins[0], m, n), _cols(b, r, 0, m)
    gr1, gr2 = (None, None) if gr is None else (_cols(b, gr, 0, m), _cols(b, gr, m, n))
    gy = None if gr2 is None else b.matmul(q, gr2)
    if gr2 is not None:
        gq = b.add_any(gq, b.matmul(y, gr2, transpose_b=True))
    gx = _qr_vjp_tall(b, q, r1, gq, gr1)
    return [b.concat(gx, gy if gy is not None else b.zeros_like(y), axis=q.aval.ndim - 1)]


def _qr_jvp_tall(b, q, r, da):
    """m >= n (JAX's rule): c = q^T da r^-1, o = tril(c, -1) - its transpose; dq = da r^-1 + q (o - c),
    dr = (c - o) r."""
    dar = _mT(b, _trisolve(b, r, _mT(b, da), lower=False, transpose_a=True))  # da r^-1
    c = b.matmul(q, dar, transpose_a=True)
    low = _mask(b, c, True, 0.0)
    o = b.sub(low, _mT(b, low))
    return b.add(dar, b.matmul(q, b.sub(o, c))), b.matmul(b.sub(c, o), r)


def _qr_jvp(b, ins, outs, ts):
    da = ts[0]
    if da is None:
        return [None, None]
    _refuse_complex(b, ins[0], "qr")
    q, r = outs
    m, n = q.shape[-2], r.shape[-1]
    if m >= n:
        return list(_qr_jvp_tall(b, q, r, da))
    dq, dr1 = _qr_jvp_tall(b, q, _cols(b, r, 0, m), _cols(b, da, 0, m))
    y, dy = _cols(b, ins[0], m, n), _cols(b, da, m, n)
    dr2 = b.add(b.matmul(dq, y, transpose_a=True), b.matmul(q, dy, transpose_a=True))
    return [dq, b.concat(dr1, dr2, axis=r.aval.ndim - 1)]


# -- eigh ------------------------------------------------------------------------------------------------
# Computed eigenvalues of a matrix with a repeated one differ by up to ~10 eps max|w| (measured, n = 3 to 400;
# squared singular values less): a gap within TIE_ULPS sqrt(n) eps max|w| is a tie, whose 1 / gap would turn
# rounding noise into a finite wrong answer
TIE_ULPS = 8
_HALF_EPS = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7}  # (eigh of halves: float32's, rounded to them)


def _ties(b, w):
    """(gaps w_j - w_i with 1 on the diagonal, tie: the off-diagonal pairs whose gap is within the rounding of
    the eigenvalues, TIE_ULPS sqrt(n) eps max|w|)."""
    n, nd = w.shape[-1], w.aval.ndim
    eye = b.emit1("const", value=np.eye(n, dtype=w.dtype))
    gaps = b.add(b.sub(b.expand_dims(w, axis=nd - 1), b.expand_dims(w, axis=nd)), eye)
    eps = _HALF_EPS.get(dtype_name(w.dtype)) or float(np.finfo(dtype_name(w.dtype)).eps)
    top = b.max(b.abs(w), axis=(nd - 1,), keepdims=True)
    tol = b.expand_dims(b.mul(top, b.full((), TIE_ULPS * n ** 0.5 * eps, w.dtype)), axis=nd)  # [..., 1, 1]
    off = b.emit1("const", value=np.eye(n) == 0)
    return gaps, b.logical_and(b.less_equal(b.abs(gaps), tol), off)


def _gap_inverse(b, w):
    """(F, tie): F[i, j] = 1 / (w_j - w_i) off the diagonal, 0 on it and at ties (_ties)."""
    gaps, tie = _ties(b, w)
    eye = b.emit1("const", value=np.eye(w.shape[-1], dtype=w.dtype))
    zeros, ones = b.full_like(gaps, 0.0), b.full_like(gaps, 1.0)
    inverse = b.reciprocal(b.where(tie, ones, gaps))  # (a tie's 1 / gap never formed: no inf in any derivative)
    return b.where(tie, zeros, b.sub(inverse, eye)), tie


def _undetermined(b, tie, moves, like):
    """NaN where a tied pair (i, j) moves (moves true): its vectors are any basis of their eigenspace, so v's
    derivative is not determined there (1 / gap would give rounding noise a finite, wrong value); 0 elsewhere."""
    return b.where(b.logical_and(tie, moves), b.full_like(like, float("nan")), b.full_like(like, 0.0))


def _diag(b, x):
    """x's diagonal [..., n] (a masked sum: exact)."""
    n = x.shape[-1]
    return b.sum(b.mul(x, b.emit1("const", value=np.eye(n, dtype=x.dtype))), axis=(x.aval.ndim - 1,))


def _refuse_complex(b, a, op: str = "eigh") -> None:
    if a.dtype in COMPLEX_DTYPES:
        kind = ("a complex (Hermitian) matrix", "real symmetric matrices") if op == "eigh" else \
            ("a complex matrix", "real matrices")
        raise DifferentiationError(f"failed to compute derivative: op '{op}' of {kind[0]} {a.aval}: its derivative "
                                   f"is implemented for {kind[1]} only", node=b.node_label, op=op)


def _eigh_jvp(b, ins, outs, ts, lower):
    da = ts[0]
    if da is None:
        return [None, None]
    _refuse_complex(b, ins[0])
    w, v = outs
    ds = _copyltu(b, da) if lower else _mT(b, _copyltu(b, _mT(b, da)))  # the symmetric tangent
    vdsv = b.matmul(b.matmul(v, ds, transpose_a=True), v)
    f, tie = _gap_inverse(b, w)
    moves = b.not_equal(vdsv, b.full_like(vdsv, 0.0))
    return [_diag(b, vdsv), b.matmul(v, b.add(b.mul(f, vdsv), _undetermined(b, tie, moves, vdsv)))]


def _eigh_vjp(b, ins, outs, cts, lower):
    w, v = outs
    gw, gv = cts
    if gw is None and gv is None:
        return [None]
    _refuse_complex(b, ins[0])
    inner = None
    if gv is not None:  # a tied pair contributes (X_ij - X_ji) / (w_j - w_i): nothing where X_ij = X_ji
        f, tie = _gap_inverse(b, w)
        x = b.matmul(v, gv, transpose_a=True)
        inner = b.add(b.mul(f, x), _undetermined(b, tie, b.not_equal(x, _mT(b, x)), x))
    if gw is not None:
        inner = b.add_any(inner, b.mul(b.expand_dims(gw, axis=gw.aval.ndim - 1),
                                       b.emit1("const", value=np.eye(w.shape[-1], dtype=w.dtype))))
    gs = b.matmul(b.matmul(v, inner), v, transpose_b=True)  # the gradient w.r.t. the symmetric matrix
    # an off-diagonal entry of the triangle read stands for two entries of the symmetric matrix
    eye = b.emit1("const", value=np.eye(w.shape[-1], dtype=w.dtype))
    return [b.add(_mask(b, b.add(gs, _mT(b, gs)), lower, 0.0), b.mul(gs, eye))]


defop("qr", 1, rule_infer("qr"), n_outputs=2,
      doc="(q, r): the reduced QR a = q r of real or complex matrices [..., m, n] (LAPACK geqrf / orgqr signs, "
          "k = min(m, n); complex: r's diagonal real); derivatives need r's diagonal nonzero, none of a complex a",
      flops=matrix_flops)
defop("eigh", 1, rule_infer("eigh"), n_outputs=2, attrs={"lower": Attr("bool", True)},
      doc="(w ascending, v): eigenpairs of the symmetric (complex a: Hermitian) matrix a's lower (upper: "
          "lower=False) triangle defines, a [..., n, n] (LAPACK syevd / heevd; w real); v's derivative is inf / "
          "NaN at tied eigenvalues, w's is not; no derivative of a complex a",
      flops=matrix_flops)
impl_rules["qr"] = _qr_impl
impl_rules["eigh"] = _eigh_impl
vjp_rules["qr"] = _qr_vjp
jvp_rules["qr"] = _qr_jvp
vjp_rules["eigh"] = _eigh_vjp
jvp_rules["eigh"] = _eigh_jvp
