"""NumPy (CPU). erf, erfinv, lgamma and digamma from SciPy: NumPy has none, and a hand-rolled one would be less exact. matmul splits
large products across the intra-op threads (split_gemm; one call when there is one thread)."""
from __future__ import annotations

import ml_dtypes
import numpy as np

from . import Backend, namespace, split_gemm


def _index_add(xp, target, axis, index, values):
    np.add.at(target, (slice(None),) * axis + (index,), values)
    return target


def make_backend(device=None) -> Backend:
    from scipy.special import erf as _erf
    from scipy.special import erfinv as _erfinv
    from scipy.special import gammaln as _lgamma
    from scipy.special import polygamma as _polygamma
    from scipy.special import psi as _digamma

    def same_dtype(f):
        # SciPy's special functions have no float16 loop and return float32/64 for float16 input:
        # cast back so dtypes are preserved (no silent upcast).
        def g(x):
            r = f(x)
            return r if r.dtype == x.dtype else r.astype(x.dtype)
        return g

    def polygamma(n, x):
        r = _polygamma(n, x)
        return r if r.dtype == x.dtype else r.astype(x.dtype)

    xp = namespace(np, erf=same_dtype(_erf), erfinv=same_dtype(_erfinv), lgamma=same_dtype(_lgamma), digamma=same_dtype(_digamma), polygamma=polygamma,
                   index_add=lambda t, axis, idx, v: _index_add(np, t, axis, idx, v),
                   matmul=split_gemm.matmul, bfloat16=ml_dtypes.bfloat16)
    # ml_dtypes' bfloat16 loops round after every step (a sum of 4096 ones stops at 256) and its matmul answers
    # float32: bfloat16 is storage, each node computes in float32 and rounds once (PyTorch's CPU rule)
    return Backend("numpy", xp, to_host=np.asarray, from_host=np.asarray, device="cpu",
                   widen={"bfloat16": "float32"})
