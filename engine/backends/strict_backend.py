"""array-api-strict: the standard and nothing more. Proves kernels are not NumPy-only."""
from __future__ import annotations

import numpy as np

from . import Backend, namespace


def _unsupported(name):
    def f(*a, **k):
        raise NotImplementedError(f"{name} is not in the array API standard; backend array_api_strict lacks it")
    return f


def make_backend(device=None) -> Backend:
    import array_api_strict as xps

    def index_add(target, axis, idx, values):
        # Standard-only scatter-add: one-hot matrix product along `axis`.
        n = target.shape[axis]
        onehot = xps.astype(xps.reshape(idx, (-1, 1)) == xps.reshape(xps.arange(n, dtype=idx.dtype), (1, -1)),
                            values.dtype)  # [k, n]
        moved = xps.moveaxis(values, axis, -1)  # [..., k]
        return target + xps.moveaxis(moved @ onehot, -1, axis)

    xp = namespace(xps, erf=_unsupported("erf"), erfinv=_unsupported("erfinv"), lgamma=_unsupported("lgamma"), digamma=_unsupported("digamma"),
                   polygamma=_unsupported("polygamma"),
                   index_add=index_add,
                   linalg=xps.linalg, fft=xps.fft)  # extensions, loaded on first use: not in dir(xps)
    return Backend("array_api_strict", xp, to_host=lambda a: np.asarray(a), from_host=xps.asarray, device="cpu",
                   missing_dtypes=frozenset({"bfloat16"}))  # not in the standard
