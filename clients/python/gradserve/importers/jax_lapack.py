"""The LAPACK custom_calls jax.export emits on CPU for jnp.linalg / jax.scipy.linalg, as engine ops.

  @lapack_?potrf_ffi (Cholesky; results: factor, info) -> cholesky (the lower factor; JAX symmetrises its
      input before the call and masks the factor's other triangle after it). info is a constant 0: the
      engine's cholesky is NaN for a matrix with no factor, which JAX's select on info also gives.
  @lapack_?trsm_ffi (triangular solve) -> triangular_solve; side 'R' (x op(A) = b) through transposes.
  @lapack_?getrf_ffi (LU with partial pivoting; results: packed factor, int32 1-based pivots, int32 info) ->
      lu, whose outputs are those three (jnp.linalg.solve / inv / slogdet / det; JAX turns the pivots into a
      permutation with a while loop and gathers rows with it, which import as themselves); rectangular
      matrices through the square lu (lu_rect.py).
  @lapack_?gesdd_ffi (SVD; results: input overwritten, s, u, vt, info) -> svd (the reduced one: mode 'S', or
      'A' of a square matrix; mode 'N' gives s alone).
  @lapack_?syevd_ffi (symmetric eigendecomposition; results: vectors, values, info) -> eigh reading the
      triangle uplo names.
  @lapack_?geqrf_ffi + @lapack_?orgqr_ffi (QR as Householder reflectors, then Q from them) -> qr: geqrf's
      packed result is R in its upper triangle with zeros below (not the reflectors: only orgqr reads those,
      and it is mapped to qr's Q through the taus it is given); a Q wider than qr's (mode 'complete' of a tall
      matrix) is refused.
The kernel's options are the call's mhlo.backend_config (ASCII codes, as LAPACK's
character arguments: uplo 'L' / 'U', trans_x 'N' / 'T' / 'C', diag 'U' / 'N', side 'L' / 'R').
"""
from __future__ import annotations

import re

from ._shared.graph_writer import UnsupportedModel
from .lu_rect import lu_any

_KERNEL = re.compile(r"lapack_[sd](potrf|trsm|getrf|gesdd|syevd|geqrf|orgqr)(_ffi)?$")


def _options(op) -> dict[str, str]:
    from jaxlib.mlir import ir

    if "mhlo.backend_config" not in op.attributes:
        return {}
    cfg = ir.DictAttr(op.attributes["mhlo.backend_config"])
    out = {}
    for key in ("uplo", "trans_x", "diag", "side", "mode"):
        if key in cfg:
            out[key] = chr(ir.IntegerAttr(cfg[key]).value)
    return out


def _mT(w, x):
    nd = len(w.shape(x))
    return w.transpose(x, list(range(nd - 2)) + [nd - 1, nd - 2])


def potrf(fn, op, ins, target, results):
    opts = _options(op)
    (shape, dtype), (info_shape, info_dtype) = results
    a = ins[0]
    if opts.get("uplo", "L") == "U":  # the upper factor U = L^T
        return [_mT(fn.w, fn.w.emit1("cholesky", [a], {}, shape, dtype)), _zeros(fn, info_shape, info_dtype)]
    return [fn.w.emit1("cholesky", [a], {}, shape, dtype), _zeros(fn, info_shape, info_dtype)]


def _zeros(fn, shape, dtype):
    import numpy as np

    value = np.zeros(shape, dtype)
    name = fn.w.const(value)
    fn.consts[name] = value
    return name


def trsm(fn, op, ins, target, results):
    opts = _options(op)
    if len(ins) != 2:
        raise UnsupportedModel(f"@{target}: expected operands (a, b), got {len(ins)}")
    trans = opts.get("trans_x", "N")
    if trans not in ("N", "T"):
        raise UnsupportedModel(f"@{target}: trans_x {trans!r} (conjugate transpose of a real matrix is T; "
                               "complex matrices are not supported)")
    attrs = {"lower": opts.get("uplo", "L") == "L", "transpose_a": trans == "T",
             "unit_diagonal": opts.get("diag", "N") == "U"}
    (shape, dtype), = results
    w, (a, b) = fn.w, ins
    if opts.get("side", "L") == "R":  # x op(A) = b  <=>  op(A)^T x^T = b^T
        attrs["transpose_a"] = not attrs["transpose_a"]
        bt = _mT(w, b)
        return [_mT(w, w.emit1("triangular_solve", [a, bt], attrs, w.shape(bt), dtype))]
    return [w.emit1("triangular_solve", [a, b], attrs, shape, dtype)]


def getrf(fn, op, ins, target, results):
    (shape, dtype), (piv_shape, piv_dtype), (info_shape, info_dtype) = results
    if (str(piv_dtype), str(info_dtype)) != ("int32", "int32"):
        raise UnsupportedModel(f"@{target}: pivots / info {piv_dtype} / {info_dtype} (expected int32)")
    return list(lu_any(fn.w, ins[0]))  # square: the engine's lu; rectangular: lu_rect.py


def gesdd(fn, op, ins, target, results):
    (a_shape, dtype), (s_shape, _), (u_shape, _), (vt_shape, _), (info_shape, info_dtype) = results
    mode = _options(op).get("mode", "S")
    *batch, m, n = a_shape
    k = min(m, n)
    if mode == "A" and m != n:
        raise UnsupportedModel(f"@{target}: full_matrices=True of a non-square matrix {list(a_shape)} (the engine's "
                               "svd is the reduced one)")
    u, s, vt = fn.w.emit("svd", [ins[0]], {}, [(batch + [m, k], dtype), (batch + [k], dtype), (batch + [k, n], dtype)])
    if mode == "N":  # singular values alone: the vectors' results are placeholders
        u, vt = _zeros(fn, u_shape, dtype), _zeros(fn, vt_shape, dtype)
    return [_zeros(fn, a_shape, dtype), s, u, vt, _zeros(fn, info_shape, info_dtype)]


def syevd(fn, op, ins, target, results):
    (v_shape, dtype), (w_shape, _), (info_shape, info_dtype) = results
    opts = _options(op)
    vals, vecs = fn.w.emit("eigh", [ins[0]], {"lower": opts.get("uplo", "L") == "L"},
                           [(w_shape, dtype), (v_shape, dtype)])
    if opts.get("mode", "V") == "N":
        vecs = _zeros(fn, v_shape, dtype)
    return [vecs, vals, _zeros(fn, info_shape, info_dtype)]


def geqrf(fn, op, ins, target, results):
    """qr(a); the packed result is R over zeros (see the module's note), the taus a placeholder that
    orgqr looks up."""
    (shape, dtype), (tau_shape, tau_dtype) = results
    w = fn.w
    *batch, m, n = shape
    k = min(m, n)
    q, r = w.emit("qr", [ins[0]], {}, [(batch + [m, k], dtype), (batch + [k, n], dtype)])
    packed = r if m == k else w.concat([r, _zeros(fn, batch + [m - k, n], dtype)], len(shape) - 2)
    taus = _zeros(fn, tau_shape, tau_dtype)  # a fresh name for each call
    fn.qr_of_taus[taus] = q
    return [packed, taus]


def orgqr(fn, op, ins, target, results):
    (shape, dtype), = results
    q = fn.qr_of_taus.get(ins[1])
    if q is None:
        raise UnsupportedModel(f"@{target} of reflectors that are not a geqrf result in the same function")
    if list(fn.w.shape(q)) != list(shape):
        raise UnsupportedModel(f"@{target}: Q {list(shape)} from a QR whose reduced Q is {list(fn.w.shape(q))} "
                               "(mode='complete' of a tall matrix: the engine's qr is the reduced one)")
    return [q]


_HANDLERS = {"potrf": potrf, "trsm": trsm, "getrf": getrf, "gesdd": gesdd, "syevd": syevd, "geqrf": geqrf,
             "orgqr": orgqr}


def lapack_call(fn, op, target: str, ins: list[str], results: list) -> list[str] | None:
    """The engine ops for a LAPACK custom_call `target`, or None when it is not one of those mapped."""
    m = _KERNEL.match(target)
    if m is None:
        return None
    return _HANDLERS[m.group(1)](fn, op, ins, target, results)
