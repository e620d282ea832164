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
  @lapack_?geqrf_ffi + @lapack_?orgqr_ffi (QR as Householder reflectors, then Q from them) -> qr for R and
      the reduced Q (orgqr finds it through the taus it is given); the reflectors below the diagonal, the
      taus, and a Q wider than qr's (mode 'complete' of a tall matrix) are LAPACK's steps as graph ops
      (composites.householder_qr / householder_product).
  @lapack_?gtsv_ffi (tridiagonal solve, jax.lax.linalg.tridiagonal_solve; results: the three diagonals
      overwritten by LAPACK's factorisation, the solution, info) -> solve of the dense matrix the diagonals
      make (dl[0] and du[-1] unused, as LAPACK's); the overwritten diagonals (which tridiagonal_solve never
      returns) are placeholders, as gesdd's overwritten input.
  @lapack_?geev_ffi / @lapack_?gees_ffi (non-symmetric eig / Schur) are refused: complex results, and
      a gradient JAX itself defines only for the eigenvalues of diagonalizable matrices.
jnp.linalg.pinv (its private function @_pinv, whose custom_jvp JAX's export drops) -> the importers' pinv
(composites.pinv: the closed-form derivative, exact at tied singular values where the SVD's is not).
The kernel's options are the call's mhlo.backend_config (ASCII codes, as LAPACK's
character arguments: uplo 'L' / 'U', trans_x 'N' / 'T' / 'C', diag 'U' / 'N', side 'L' / 'R').
"""
from __future__ import annotations

import re

import numpy as np

from ._shared import composites as C
from ._shared.graph_writer import UnsupportedModel
from .lu_rect import lu_any

_KERNEL = re.compile(r"lapack_[sd](potrf|trsm|getrf|gesdd|syevd|geqrf|orgqr|gtsv)(_ffi)?$")


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


_mT = C.mT


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
    """qr(a) for R (on and above the diagonal) and for the Q orgqr looks up by the taus; the reflectors
    below the diagonal and the taus are LAPACK's, step by step (composites.householder_qr)."""
    import numpy as np

    (shape, dtype), (tau_shape, tau_dtype) = results
    w = fn.w
    *batch, m, n = shape
    k = min(m, n)
    q, r = w.emit("qr", [ins[0]], {}, [(batch + [m, k], dtype), (batch + [k, n], dtype)])
    r = r if m == k else w.concat([r, _zeros(fn, batch + [m - k, n], dtype)], len(shape) - 2)
    tails, taus, _ = C.householder_qr(w, ins[0])
    packed = w.where(w.const(np.tril(np.ones((m, n), bool), -1)), tails, r)
    taus = w.add(taus, _zeros(fn, tau_shape, tau_dtype))  # a name of this call's own, for orgqr's look-up
    fn.qr_of_taus[taus] = q
    return [packed, taus]


def orgqr(fn, op, ins, target, results):
    """Q from geqrf's reflectors: the engine qr's Q when it is that QR's reduced Q, else LAPACK's product of
    the reflectors (mode='complete' of a tall matrix, or reflectors from elsewhere)."""
    (shape, dtype), = results
    q = fn.qr_of_taus.get(ins[1])
    if q is not None and list(fn.w.shape(q)) == list(shape):
        return [q]
    return [C.householder_product(fn.w, ins[0], ins[1], shape[-1])]


def gtsv(fn, op, ins, target, results):
    """A X = B for the tridiagonal A with sub-, main and super-diagonals dl, d, du (batched alike): A built
    dense (row i holds dl[i] at i - 1, d[i] at i, du[i] at i + 1) and solved by the engine's solve, whose
    derivative is the solve's; n is small where users call it (splines, implicit steps)."""
    if len(ins) != 4:
        raise UnsupportedModel(f"@{target}: expected operands (dl, d, du, b), got {len(ins)}")
    w = fn.w
    dl, d, du, b = ins
    n = w.shape(d)[-1]
    a = None
    for diag, offset in ((dl, -1), (d, 0), (du, 1)):
        band = w.mul(w.reshape(diag, list(w.shape(diag)) + [1]), w.const(np.eye(n, k=offset, dtype=w.dtype(d))))
        a = band if a is None else w.add(a, band)
    x = w.emit1("solve", [a, b], {}, w.shape(b), w.dtype(b))
    return [_zeros(fn, *results[i]) for i in range(3)] + [x, _zeros(fn, *results[4])]


_HANDLERS = {"potrf": potrf, "trsm": trsm, "getrf": getrf, "gesdd": gesdd, "syevd": syevd, "geqrf": geqrf,
             "orgqr": orgqr, "gtsv": gtsv}


_REFUSED = re.compile(r"@(lapack_[sdcz](?:geev|gees)(?:_ffi)?)\b")


def refuse_known_kernels(module_text: str) -> None:
    """Before any op is read (their complex results would be refused first, naming only a type): the
    non-symmetric eigen / Schur kernels, by name and why."""
    m = _REFUSED.search(module_text)
    if m:
        raise UnsupportedModel(f"@{m.group(1)} (jnp.linalg.eig / eigvals, jax.scipy.linalg.schur): a non-symmetric "
                               "eigen / Schur decomposition has complex results and no gradient on gradserve's real "
                               "graphs; refused (jnp.linalg.eigh imports, for symmetric matrices)", op=m.group(1))


def lapack_call(fn, op, target: str, ins: list[str], results: list) -> list[str] | None:
    """The engine ops for a LAPACK custom_call `target`, or None when it is not one of those mapped."""
    m = _KERNEL.match(target)
    if m is None:
        return None
    return _HANDLERS[m.group(1)](fn, op, ins, target, results)


# -- JAX library functions mapped whole ----------------------------------------------------------------
def _kernels(fn, func, depth: int = 4) -> set[str]:
    """The custom_call targets a function's body reaches, through the functions it calls (depth levels)."""
    from jaxlib.mlir import ir

    found: set[str] = set()
    for op in func.regions[0].blocks[0].operations:
        name = op.operation.name
        if name == "stablehlo.custom_call":
            found.add(ir.StringAttr(op.attributes["call_target_name"]).value)
        elif name == "func.call" and depth:
            found |= _kernels(fn, fn.funcs[ir.FlatSymbolRefAttr(op.attributes["callee"]).value], depth - 1)
    return found


def library_function(fn, callee: str, ins: list[str]) -> list[str] | None:
    """A call of a JAX library function imported as one definition of ours, or None (import its body).
    jnp.linalg.pinv's @_pinv(a[, rtol]): JAX's jvp rule is a custom_jvp the export drops, and the body's SVD
    differentiates wrongly at tied singular values (0 for the identity's off-diagonal gradient); its values
    are JAX's (rtol default 10 max(m, n) eps, cutoff rtol * the largest singular value, atol none)."""
    if callee != "_pinv" or len(ins) not in (1, 2):
        return None
    w = fn.w
    a = ins[0]
    dt = w.dtype(a)
    kernels = _kernels(fn, fn.funcs[callee])
    svd, eigh = (any(re.match(rf"lapack_[sd]{k}(_ffi)?$", t) for t in kernels) for k in ("gesdd", "syevd"))
    if dt not in ("float32", "float64") or svd == eigh:
        return None
    if len(ins) == 2:
        rtol = w.reshape(ins[1], list(w.shape(ins[1])) + [1])
    else:
        rtol = w.scalar_like(10.0 * max(w.shape(a)[-2:]) * float(np.finfo(dt).eps), a)
    if eigh:  # JAX's svd(hermitian=True) and its pinv rule read the symmetric part (a + a^T) / 2, not a triangle
        nd = len(w.shape(a))
        a = w.mul(w.add(a, w.transpose(a, list(range(nd - 2)) + [nd - 1, nd - 2])), w.scalar_like(0.5, a))
    return [C.pinv(w, a, w.scalar_like(0.0, a), rtol, hermitian=eigh)]
