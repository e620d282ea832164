"""The general (non-symmetric) eigendecomposition, as LAPACK geev computes it (what numpy.linalg.eig,
scipy.linalg.eig, torch.linalg.eig and MindSpore's Eig run):

  eig(a [..., n, n]) -> (w [..., n], v [..., n, n]), complex64 (complex128) for a float32 / complex64
      (float64 / complex128) a: a v[..., :, j] = w[..., j] v[..., :, j], each column of v of unit norm with its
      largest component real (geev's normalisation); the eigenvalues in geev's order (not sorted).
      A matrix with a NaN or inf entry has NaN eigenpairs (JAX's answer; geev refuses it).

No derivative: MindSpore 2.10 defines none for Eig ("bprop not defined"), and the eigenvectors' phase is a
choice of the kernel, so asking for one is a DifferentiationError naming eig, never a zero.
"""
from __future__ import annotations

import numpy as np

from ._infer import rule_infer
from .composite import dtype_name
from .registry import defop, impl_rules, jvp_rules, matrix_flops, vjp_rules

_COMPLEX_OF = {"float32": np.complex64, "float64": np.complex128, "complex64": np.complex64,
               "complex128": np.complex128}


def _eig_impl(xp, a):
    # geev refuses NaN / inf entries (NumPy's LinAlgError, PyTorch's RuntimeError): such a matrix gets NaN
    # eigenpairs, the others of its batch their own (JAX's answer; eigh and svd here answer alike)
    bad = xp.logical_not(xp.all(xp.isfinite(a), axis=(-2, -1)))
    if not bool(xp.any(bad)):
        return _geev(xp, a)
    w, v = _geev(xp, xp.where(bad[..., None, None], xp.zeros_like(a), a))
    return (xp.where(bad[..., None], xp.full_like(w, complex("nan+nanj")), w),
            xp.where(bad[..., None, None], xp.full_like(v, complex("nan+nanj")), v))


def _geev(xp, a):
    out = _COMPLEX_OF[dtype_name(a.dtype)]
    if type(a).__module__.startswith("torch"):
        w, v = xp.linalg.eig(a)  # torch.linalg.eig: complex outputs already
        return w, v
    # NumPy's geev (the array API has no eig): real outputs where all eigenvalues are real, hence the cast
    host = np.asarray(a.get() if hasattr(a, "get") else a)  # (CuPy has no geev: the host's)
    w, v = np.linalg.eig(host)
    return xp.asarray(w.astype(out)), xp.asarray(v.astype(out))


def _no_rule(b, ins, outs, cts):  # never reached: `underivable` refuses first (autodiff.refuse_underivable)
    raise AssertionError("eig has no derivative")


_WHY = ("the general eigendecomposition has no derivative here (MindSpore 2.10 defines none for Eig); for a "
        "symmetric or Hermitian matrix use eigh, which has one")

defop("eig", 1, rule_infer("eig"), n_outputs=2, underivable={0: _WHY},
      doc="(w, v): eigenvalues and unit-norm eigenvectors of square a [..., n, n] (LAPACK geev; float32 / "
          "complex64 -> complex64, float64 / complex128 -> complex128); not differentiable", flops=matrix_flops)
impl_rules["eig"] = _eig_impl
vjp_rules["eig"] = _no_rule
jvp_rules["eig"] = _no_rule
