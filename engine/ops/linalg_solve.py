"""Dense factorisations and solves of stacks of real square matrices (batch axes lead):
cholesky, triangular_solve, solve, matrix_inverse, slogdet.

The derivatives are the standard ones (JAX's lax.linalg rules, Murray 2016 for Cholesky), written
as graph ops -- triangular_solve / solve / matrix_inverse / matmul -- so they differentiate again to any order.
cholesky reads the symmetric part (a + a^T) / 2 of its input, as jnp.linalg.cholesky does, so its
derivative is the one of a symmetric matrix function (and its gradient is symmetric).
Where the backend's LAPACK gives up (a matrix not positive definite, or exactly singular) that
matrix's result is NaN, as in JAX; the others in the batch are unaffected.
"""
from __future__ import annotations

import numpy as np

from ..ir import is_complex
from ._infer import conj, rule_infer
from .composite import dtype_name
from .registry import Attr, defop, impl_rules, jvp_rules, matrix_flops, vjp_rules


# -- impls -------------------------------------------------------------------------------------------
def _lapack(fn):
    """fn(xp, a, *rest) on float32 for float16 (LAPACK has no half precision), and NaN for a matrix
    where LAPACK fails (numpy's / torch's LinAlgError), one matrix at a time only then."""
    def impl(xp, a, *rest, **attrs):
        if dtype_name(a.dtype) == "float16":
            up = [xp.astype(t, xp.float32) for t in (a, *rest)]
            out = impl(xp, *up, **attrs)
            return tuple(xp.astype(t, xp.float16) for t in out) if isinstance(out, tuple) else \
                xp.astype(out, xp.float16)
        try:
            return fn(xp, a, *rest, **attrs)
        except Exception as e:  # noqa: BLE001 - matched by name: each backend has its own LinAlgError class
            if "LinAlgError" not in type(e).__name__:
                raise
        return _one_at_a_time(xp, fn, a, *rest, **attrs)
    return impl


def _one_at_a_time(xp, fn, a, *rest, **attrs):
    n = a.shape[-1]
    batch = tuple(a.shape[:-2])
    flat = [xp.reshape(t, (-1,) + tuple(t.shape[-2:])) for t in (a, *rest)]
    outs = []
    for i in range(flat[0].shape[0]):
        try:
            outs.append(fn(xp, *(t[i, ...] for t in flat), **attrs))
        except Exception as e:  # noqa: BLE001
            if "LinAlgError" not in type(e).__name__:
                raise
            shape = tuple(flat[-1].shape[1:]) if rest else (n, n)
            outs.append(xp.full(shape, float("nan"), dtype=a.dtype))
    return xp.reshape(xp.stack(outs, axis=0), batch + tuple(outs[0].shape))


def _sym(xp, a):
    return (a + xp.matrix_transpose(a)) / 2


def _tri(xp, a, lower, unit_diagonal):
    t = xp.tril(a) if lower else xp.triu(a)
    if unit_diagonal:
        eye = xp.eye(a.shape[-1], dtype=a.dtype)
        t = t * (1 - eye) + eye
    return t


def _trisolve_impl(xp, a, b, lower, transpose_a, unit_diagonal):
    t = _tri(xp, a, lower, unit_diagonal)
    # a general (LU) solve of the masked matrix: every array-API backend has it, triangular solves are not
    # in the standard; the result is the triangular one (the other triangle is zero)
    return xp.linalg.solve(xp.matrix_transpose(t) if transpose_a else t, b)


impls = {
    "cholesky": lambda xp, a: xp.linalg.cholesky(_sym(xp, a)),
    "triangular_solve": _trisolve_impl,
    "solve": lambda xp, a, b: xp.linalg.solve(a, b),
    "matrix_inverse": lambda xp, a: xp.linalg.inv(a),
}


def _slogdet_impl(xp, a):
    sign, logabsdet = xp.linalg.slogdet(a)
    return sign, xp.astype(logabsdet, a.dtype)  # complex a: log|det| in a's dtype (MindSpore 2.10's), imag 0


# -- graph helpers -----------------------------------------------------------------------------------
def _mT(b, x):
    nd = x.aval.ndim
    return b.transpose(x, perm=tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _mask(b, x, lower, diagonal=1.0):
    """x's lower (upper) triangle, its diagonal scaled by `diagonal` (0: strictly, 0.5: Cholesky's Phi)."""
    n = x.shape[-1]
    m = np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n)))
    m[np.diag_indices(n)] = diagonal
    return b.mul(x, b.emit1("const", value=m.astype(x.dtype)))


def _trisolve(b, a, x, lower=True, transpose_a=False, unit_diagonal=False):
    return b.emit1("triangular_solve", a, x, lower=lower, transpose_a=transpose_a, unit_diagonal=unit_diagonal)


def _half_sym(b, x):
    return b.mul(b.add(x, _mT(b, x)), b.scalar(0.5, x.dtype))


# -- cholesky: dL = L Phi(L^-1 dA L^-T), dA the symmetric part of da ---------------------------------
def _cholesky_jvp(b, ins, outs, ts):
    if ts[0] is None:
        return [None]
    low = outs[0]
    y = _trisolve(b, low, _half_sym(b, ts[0]))  # L^-1 dA
    x = _trisolve(b, low, _mT(b, y))  # L^-1 dA L^-T (dA symmetric)
    return [b.matmul(low, _mask(b, x, True, 0.5))]


def _cholesky_vjp(b, ins, outs, cts):
    low, g = outs[0], cts[0]
    p = _mask(b, b.matmul(low, g, transpose_a=True), True, 0.5)  # Phi(L^T g)
    z = _trisolve(b, low, p, transpose_a=True)  # L^-T P
    w = _trisolve(b, low, _mT(b, z), transpose_a=True)  # (L^-T P L^-1)^T
    return [_half_sym(b, w)]


# -- triangular_solve: x = op(T)^-1 b, T = a's triangle (unit diagonal if asked) -----------------------
def _trisolve_jvp(b, ins, outs, ts, lower, transpose_a, unit_diagonal):
    a, x = ins[0], outs[0]
    rhs = ts[1]
    if ts[0] is not None:  # - op(dT) x
        dt = _mask(b, ts[0], lower, 0.0 if unit_diagonal else 1.0)
        rhs = b.add_any(rhs, b.neg(b.matmul(dt, x, transpose_a=transpose_a)))
    if rhs is None:
        return [None]
    return [_trisolve(b, a, rhs, lower, transpose_a, unit_diagonal)]


def _trisolve_vjp(b, ins, outs, cts, lower, transpose_a, unit_diagonal):
    a, x = ins[0], outs[0]
    gb = _trisolve(b, a, cts[0], lower, not transpose_a, unit_diagonal)  # op(T)^-T g
    gm = b.matmul(x, gb, transpose_b=True) if transpose_a else b.matmul(gb, x, transpose_b=True)
    return [b.neg(_mask(b, gm, lower, 0.0 if unit_diagonal else 1.0)), gb]


# -- solve: x = a^-1 b; matrix_inverse: y = a^-1 ---------------------------------------------------------------
def _solve_jvp(b, ins, outs, ts):
    a, x = ins[0], outs[0]
    rhs = ts[1]
    if ts[0] is not None:
        rhs = b.add_any(rhs, b.neg(b.matmul(ts[0], x)))
    return [None if rhs is None else b.solve(a, rhs)]


def _solve_vjp(b, ins, outs, cts):  # complex: conjugate transposes (MindSpore's convention, see _infer.conj)
    gb = b.solve(_mT(b, conj(b, ins[0])), cts[0])
    return [b.neg(b.matmul(gb, conj(b, outs[0]), transpose_b=True)), gb]


def _inv_jvp(b, ins, outs, ts):
    y = outs[0]
    return [None if ts[0] is None else b.neg(b.matmul(b.matmul(y, ts[0]), y))]


def _inv_vjp(b, ins, outs, cts):
    y = conj(b, outs[0])
    return [b.neg(b.matmul(b.matmul(y, cts[0], transpose_a=True), y, transpose_b=True))]


# -- slogdet: d logabsdet = tr(a^-1 da); a real matrix's sign is piecewise constant --------------------------
# complex a: d log det = tr(a^-1 da) = q; log|det| moves by Re(q) (held in a's complex dtype, imaginary part 0),
# the sign (det / |det|) by sign * i Im(q). Reverse, with MindSpore's convention (a cotangent c of y stands for
# dL = Re(conj(c) dy)): the gradient is (Re(g_logabsdet) + i (Im(c_s) Re(s) - Re(c_s) Im(s))) a^-H.
def _slogdet_jvp(b, ins, outs, ts):
    if ts[0] is None:
        return [None, None]
    nd = ins[0].aval.ndim
    inv_t = _mT(b, b.matrix_inverse(ins[0]))
    q = b.sum(b.mul(inv_t, ts[0]), axis=(nd - 2, nd - 1))
    if not is_complex(q.dtype):
        return [None, q]
    zero = b.zeros_like(b.real(q))
    return [b.mul(outs[0], b.complex(zero, b.imag(q))), b.complex(b.real(q), zero)]


def _slogdet_vjp(b, ins, outs, cts):
    cs, g = cts
    if g is None and (cs is None or not is_complex(ins[0].dtype)):
        return [None]
    nd = ins[0].aval.ndim
    if is_complex(ins[0].dtype):
        s = outs[0]
        re = b.real(g) if g is not None else b.zeros_like(b.real(s))
        im = b.zeros_like(re) if cs is None else \
            b.sub(b.mul(b.imag(cs), b.real(s)), b.mul(b.real(cs), b.imag(s)))
        g = b.complex(re, im)
    g = b.expand_dims(b.expand_dims(g, axis=nd - 2), axis=nd - 1)
    return [b.mul(g, _mT(b, conj(b, b.matrix_inverse(ins[0]))))]


_TRI = {"lower": Attr("bool", True), "transpose_a": Attr("bool", False), "unit_diagonal": Attr("bool", False)}
defop("cholesky", 1, rule_infer("cholesky"),
      doc="lower Cholesky factor L of the symmetric part of a [..., n, n] (L L^T = (a + a^T) / 2); NaN where "
          "it is not positive definite", flops=matrix_flops)
defop("triangular_solve", 2, rule_infer("triangular_solve"), attrs=_TRI,
      doc="x = op(T)^-1 b for a's lower (upper) triangle T [..., n, n], b [..., n, k] (op: transpose_a; "
          "unit_diagonal: T's diagonal read as ones)", flops=matrix_flops)
defop("solve", 2, rule_infer("solve"),
      doc="x = a^-1 b for a [..., n, n], b [..., n, k] (LU); NaN where a is singular", flops=matrix_flops)
defop("matrix_inverse", 1, rule_infer("matrix_inverse"), doc="the inverse of a [..., n, n]; NaN where a is singular",
      flops=matrix_flops)
defop("slogdet", 1, rule_infer("slogdet"), n_outputs=2,
      doc="(sign, log|det a|) of a [..., n, n] (complex a: log|det| in a's dtype); a real a's sign has derivative "
          "zero", flops=matrix_flops)
for _name, _fn in impls.items():
    impl_rules[_name] = _lapack(_fn)
impl_rules["slogdet"] = _lapack(_slogdet_impl)
jvp_rules.update(cholesky=_cholesky_jvp, triangular_solve=_trisolve_jvp, solve=_solve_jvp, matrix_inverse=_inv_jvp,
                 slogdet=_slogdet_jvp)
vjp_rules.update(cholesky=_cholesky_vjp, triangular_solve=_trisolve_vjp, solve=_solve_vjp, matrix_inverse=_inv_vjp,
                 slogdet=_slogdet_vjp)
