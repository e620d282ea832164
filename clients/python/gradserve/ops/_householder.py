"""Householder QR as MindSpore names it: geqrf / Geqrf (LAPACK's packed reflectors and taus), orgqr / Orgqr (Q from
them), qr / Qr with the complete Q (full_matrices=True, mode='complete'), pinv (the pseudo-inverse over svd or
eigh), and the Tensor methods qr / geqrf / orgqr. The reflectors are the importers' composites
(householder_qr / householder_product) run over SDK Tensors by `_TensorWriter`, so every value is LAPACK's (what
MindSpore 2.10's CPU kernels return, checked in its venv) and differentiable where the composites are."""
from __future__ import annotations

import numpy as np

from .._bprop import call_with_rule
from .._tensor import Tensor
from .._trace import apply, current
from ._primitives import Primitive
from ._tensor_writer import writer_class as _writer_class

__all__ = ["geqrf", "Geqrf", "orgqr", "Orgqr", "qr", "Qr", "pinv"]


def _float_matrices(name: str, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{name}', the input must be a Tensor, but got {type(x).__name__}.")
    if x.dtype.name not in ("float16", "float32", "float64") or x.ndim < 2:
        raise TypeError(f"For '{name}', the input must be a float16 / float32 / float64 Tensor of rank >= 2 "
                        f"(matrices [..., m, n]), but got {x.dtype} of shape {list(x.shape)}.")


def geqrf(input):  # noqa: A002 - MindSpore's name
    """(y, tau): LAPACK geqrf's packed result (R on and above the diagonal, the reflectors below) and its taus."""
    _float_matrices("geqrf", input)
    from ..importers._shared.composites import householder_qr

    w = _writer_class()()
    packed, taus, _ = householder_qr(w, w.put(input))
    return w.tensors[packed], w.tensors[taus]


def orgqr(input, input2):  # noqa: A002 - MindSpore's names
    """Q [..., m, n] from geqrf's reflectors (input [..., m, n]) and taus (input2 [..., k], k <= n <= m)."""
    _float_matrices("orgqr", input)
    m, n = input.shape[-2:]
    if n > m or input2.ndim != input.ndim - 1 or input2.shape[-1] > n:
        raise ValueError(f"For 'orgqr', needs input [..., m, n] with n <= m and tau [..., k] with k <= n, but got "
                         f"{list(input.shape)} and {list(input2.shape)}.")
    from ..importers._shared.composites import householder_product

    w = _writer_class()()
    return w.tensors[householder_product(w, w.put(input), w.put(input2), n)]


def qr(input, mode: str = "reduced"):  # noqa: A002 - MindSpore's names
    """(Q, R): 'reduced' Q [..., m, k], R [..., k, n]; 'complete' Q [..., m, m], R [..., m, n] (k = min(m, n))."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"For 'qr', mode must be 'reduced' or 'complete', but got {mode!r}.")
    q, r = apply("qr", [input], {})
    m, n = input.shape[-2:]
    if mode == "reduced" or m <= n:
        return q, r
    if input.dtype.name.startswith("complex"):  # (the Householder composite below is real)
        raise TypeError(f"For 'qr', mode='complete' of complex matrices with more rows than columns is not supported "
                        f"(gradserve), got {input.dtype.name}{list(input.shape)}; mode='reduced' is.")
    from ..importers._shared.composites import householder_qr

    w = _writer_class()()
    _, _, full = householder_qr(w, w.put(input), complete=True)  # LAPACK's columns past n (orgqr of m columns)
    zeros = Tensor(np.zeros((*input.shape[:-2], m - n, n), input.dtype.name))
    return w.tensors[full], apply("concat", [r, zeros], {"axis": input.ndim - 2})[0]


def pinv(x, *, atol=None, rtol=None, hermitian: bool = False):
    """The pseudo-inverse: singular values (hermitian: eigenvalues, by magnitude) at or below
    max(atol, rtol * largest) count as 0; rtol defaults to max(m, n) * eps when neither is given (MindSpore's).
    Inside a trace its derivative is the closed form of d(pinv) (_pinv_rule: importers' composites.pinv_cotangent,
    one definition with torch_import's and from_jax's pinv), not the decomposition's: svd / eigh
    have none at repeated singular values / eigenvalues (NaN there), pinv does (torch's pinv_backward)."""
    _float_matrices("pinv", x)
    m, n = x.shape[-2:]
    atol = 0.0 if atol is None else atol
    if rtol is None:
        rtol = max(m, n) * float(np.finfo(x.dtype.name).eps) if not atol else 0.0
    if current() is None:
        return _pinv_value(x, atol, rtol, hermitian)
    return call_with_rule(lambda a: _pinv_value(a, atol, rtol, hermitian),
                          lambda a, out, g: _pinv_rule(a, out, g, atol, rtol, hermitian), "pinv", [x])


def _pinv_value(x, atol, rtol, hermitian: bool):
    from ..importers._shared.composites import pinv_value

    w = _writer_class()()
    dt = x.dtype.name
    return w.tensors[pinv_value(w, w.put(x), w.const(np.asarray(atol, dt)), w.const(np.asarray(rtol, dt)),
                                hermitian)]


def _pinv_rule(a, x, g, atol, rtol, hermitian: bool):
    """The cotangent of A for X = pinv(A): the importers' closed form (composites.pinv_cotangent, torch's
    pinv_backward), run over SDK Tensors. Below float64 it runs in float64 (X recomputed there, with the same
    cutoffs): its (I - A X) terms cancel, and a near-singular float32 A (condition ~1e4) got a gradient of the
    wrong sign (119.4 where float64 and MindSpore 2.10 give -124.45)."""
    from ..importers._shared.composites import pinv_cotangent

    dt = a.dtype.name
    if dt in ("float16", "bfloat16", "float32"):
        a, g = a.astype("float64"), g.astype("float64")
        x = _pinv_value(a, atol, rtol, hermitian)
    w = _writer_class()()
    out = w.tensors[pinv_cotangent(w, w.put(a), w.put(x), w.put(g))]
    return (out if out.dtype.name == dt else out.astype(dt),)


class Geqrf(Primitive):
    """ops.Geqrf()(x) -> (y, tau)."""

    op = "qr"

    def __init__(self):
        self.attrs = {}

    def __call__(self, input):  # noqa: A002 - MindSpore's names
        return geqrf(input)


class Orgqr(Primitive):
    """ops.Orgqr()(x, tau) -> Q."""

    op = "qr"

    def __init__(self):
        self.attrs = {}

    def __call__(self, x, tau):
        return orgqr(x, tau)


class Qr(Primitive):
    """ops.Qr(full_matrices=False)(x) -> (Q, R)."""

    op = "qr"

    def __init__(self, full_matrices: bool = False):
        self.attrs = {}
        self.full_matrices = bool(full_matrices)

    def __call__(self, x):
        return qr(x, "complete" if self.full_matrices else "reduced")


setattr(Tensor, "geqrf", lambda self: geqrf(self))  # noqa: B010 - MindSpore's Tensor.geqrf / orgqr / qr
setattr(Tensor, "orgqr", lambda self, input2: orgqr(self, input2))  # noqa: B010
setattr(Tensor, "qr", lambda self, some=True: qr(self, "reduced" if some else "complete"))  # noqa: B010
