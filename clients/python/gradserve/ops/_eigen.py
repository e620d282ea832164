"""MindSpore's Eigh primitive (`ops.operations.linalg_ops.Eigh(compute_eigenvectors=True, lower=True)`) over the
engine's eigh: (w ascending, v) of the symmetric (complex: Hermitian) matrices a's lower (upper) triangle
defines, or w alone. A complex a's w is returned complex, as MindSpore 2.10 does (its imaginary part is zero;
the engine's w is real). Derivatives: the engine's (real a only).
Eig (ops.Eig; mindspore.scipy.ops.Eig, its subclass, defaults to compute_v=True) and ops.eig over the engine's
eig: complex eigenpairs of general square matrices, no derivative (MindSpore defines none); bad input a
TypeError / ValueError as MindSpore raises them."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .._trace import apply
from ._extra import P
from ._ms_more import _Fn

__all__ = ["Eigh", "Eig", "eig"]


class Eigh(_Fn):
    """ops.Eigh(compute_eigenvectors=True, lower=True)(a) -> (w, v), or w alone."""

    op = "eigh"  # the engine op it runs (one class per op: tests/clients/test_ops_catalog.py)

    def __init__(self, compute_eigenvectors: bool = True, lower: bool = True):
        super().__init__()
        self.compute_eigenvectors, self.lower = bool(compute_eigenvectors), bool(lower)

    def __call__(self, a):
        w, v = apply("eigh", [a], {"lower": self.lower})
        if a._dtype.startswith("complex"):
            w = P.cast(w, a._dtype)
        return (w, v) if self.compute_eigenvectors else w


_EIG_DTYPES = ("float32", "float64", "complex64", "complex128")


class Eig(_Fn):
    """ops.Eig(compute_v=False)(a) -> (w, v): eigenvalues and unit-norm eigenvectors of square a [..., n, n]
    (LAPACK geev), complex64 (complex128) for float32 / complex64 (float64 / complex128). With compute_v=False v
    is MindSpore 2.10's placeholder, a 0-d zero of w's dtype. (mindspore.scipy.ops.Eig: compute_v=True.)"""

    op = "eig"  # the engine op it runs (one class per op: tests/clients/test_ops_catalog.py)

    def __init__(self, compute_v: bool = False):
        super().__init__()
        if not isinstance(compute_v, bool):
            raise TypeError(f"For 'Eig', 'compute_v' must be a bool, but got {type(compute_v).__name__}")
        self.compute_v = compute_v

    def __call__(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"For 'Eig', the input must be a Tensor, but got {type(x).__name__}")
        if x._dtype not in _EIG_DTYPES:
            raise TypeError(f"For 'Eig', the input's dtype must be one of {list(_EIG_DTYPES)}, but got {x._dtype}")
        if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
            raise ValueError(f"For 'Eig', the input must be square matrices [..., n, n], but got shape "
                             f"{list(x.shape)}")
        w, v = apply("eig", [x], {})
        return (w, v) if self.compute_v else (w, Tensor(np.zeros((), np.dtype(w._dtype))))


def eig(A):  # noqa: N803 - MindSpore's name
    """ops.eig(A) -> (w, v): Eig(True)(A)."""
    return Eig(True)(A)
