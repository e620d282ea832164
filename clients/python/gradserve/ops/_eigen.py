"""MindSpore's Eigh primitive (`ops.operations.linalg_ops.Eigh(compute_eigenvectors=True, lower=True)`) over the
engine's eigh: (w ascending, v) of the symmetric (complex: Hermitian) matrices a's lower (upper) triangle
defines, or w alone. A complex a's w is returned complex, as MindSpore 2.10 does (its imaginary part is zero;
the engine's w is real). Derivatives: the engine's (real a only)."""
from __future__ import annotations

from .._trace import apply
from ._extra import P
from ._ms_more import _Fn

__all__ = ["Eigh"]


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
