"""mindspore.numpy.correlate(a, v, mode='valid'): the cross-correlation of two 1-D sequences,
c[k] = sum_n a[n + k] v[n], as numpy.correlate ('full': every overlap, k from -(len(v) - 1) to len(a) - 1;
'same': max(len(a), len(v)) values centred as numpy's; 'valid': the full overlaps). Built as a gather of
windows of the zero-padded a (a constant index matrix) times v, so the derivative is that of gather and
matmul. Real dtypes only (a complex input is refused by name)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P

__all__ = ["correlate"]


def _window_start(n: int, m: int, mode: str) -> tuple[int, int]:
    """(first index into the 'full' result, length) of the mode's slice (numpy.correlate's, checked against it)."""
    full = n + m - 1
    if mode == "full":
        return 0, full
    if mode == "same":
        size = max(n, m)
        return ((m - 1) // 2 if n >= m else full - size - (n - 1) // 2), size
    if mode == "valid":
        return min(n, m) - 1, max(n, m) - min(n, m) + 1
    raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full', got {mode!r}")


def correlate(a, v, mode="valid"):
    for name, t in (("a", a), ("v", v)):
        if not isinstance(t, Tensor) or t.ndim != 1:
            raise ValueError(f"correlate: '{name}' must be a 1-D Tensor, got "
                             f"{list(t.shape) if isinstance(t, Tensor) else type(t).__name__}")
        if t._dtype.startswith("complex"):
            raise TypeError(f"correlate: complex '{name}' is not supported (only real dtypes)")
        if t.shape[0] == 0:
            raise ValueError(f"correlate: '{name}' must not be empty")
    n, m = a.shape[0], v.shape[0]
    start, size = _window_start(n, m, mode)
    padded = P.pad(a, pads=[[m - 1, m - 1]]) if m > 1 else a  # a with m - 1 zeros each side
    rows = np.arange(start, start + size)[:, None] + np.arange(m)[None, :]  # window j: padded[j : j + m]
    windows = P.gather(padded, Tensor(rows.astype(np.int64)), 0)
    if windows._dtype != v._dtype:
        v = P.cast(v, windows._dtype)
    return P.squeeze(P.matmul(windows, P.expand_dims(v, -1)), -1)
