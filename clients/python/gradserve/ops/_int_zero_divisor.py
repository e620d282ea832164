"""Integer results where the divisor is 0, as MindSpore 2.10's CPU kernels give them (checked in PyNative and
GRAPH_MODE, int8 ... int64 and uint8 ... uint32): floor division (FloorDiv, floor_divide, `//`, div with
rounding_mode='floor', TruncateDiv) saturates toward the dividend's sign (x > 0: the dtype's max, x < 0: its min,
0 // 0: 0); remainder / fmod give the dividend. The engine's (NumPy's) answer is 0 for both. MindSpore's own
TruncateDiv of int32 / int64 by 0 dies of SIGFPE; it gets the saturated value of its narrower dtypes here."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from . import _primitives


class _Ops:  # (as _extra's P: the overrides, then the generated functions; _extra imports this module)
    def __getattr__(self, name):
        return getattr(_primitives, name, None) or _primitives.FUNCTIONS[name]


P = _Ops()


def _integer(t) -> bool:
    return isinstance(t, Tensor) and t._dtype.startswith(("int", "uint"))


def saturate_where_zero(x, y, q):
    """q, with x's sign-saturated value where y == 0 (q's dtype: MindSpore's floor division of integers; of bools
    x itself: True // False is True, False // False False, where the float quotient's nan was True)."""
    if isinstance(q, Tensor) and q._dtype == "bool":
        x = P.cast(x, "bool") if isinstance(x, Tensor) and x._dtype != "bool" else x
        return P.select(P.logical_not(P.cast(y, "bool")), x, q)
    if not _integer(q):
        return q
    info = np.iinfo(q._dtype)
    zero = P.equal(y, 0)
    x = P.cast(x, q._dtype) if isinstance(x, Tensor) and x._dtype != q._dtype else x
    high = Tensor(np.array(info.max, dtype=q._dtype))
    low = Tensor(np.array(info.min, dtype=q._dtype))
    nil = Tensor(np.array(0, dtype=q._dtype))
    sat = P.select(P.greater(x, 0), high, P.select(P.less(x, 0), low, nil)) if info.min < 0 \
        else P.select(P.greater(x, 0), high, nil)
    return P.select(zero, sat, q)


def dividend_where_zero(x, y, r):
    """r, with the dividend where y == 0 (MindSpore's integer remainder / fmod by 0)."""
    if not _integer(r):
        return r
    x = P.cast(x, r._dtype) if isinstance(x, Tensor) and x._dtype != r._dtype else x
    return P.select(P.equal(y, 0), x, r)



def _fill_where_zero(y, r, value):
    return P.select(P.equal(y, 0), Tensor(np.array(value, dtype=r._dtype)), r)


def trunc_where_zero(x, y, q):
    """div(rounding_mode='trunc') of integers by 0: MindSpore 2.10 truncates the float quotient (+-inf, nan) into
    the dtype, giving int32 / int64 their min for every dividend, uint64 2**63 for 0 / 0 and 0 otherwise, and the
    narrower dtypes 0 (as the engine's cast)."""
    if not _integer(q):
        return q
    if q._dtype in ("int32", "int64"):
        return _fill_where_zero(y, q, np.iinfo(q._dtype).min)
    if q._dtype == "uint64":
        x = P.cast(x, q._dtype) if isinstance(x, Tensor) and x._dtype != q._dtype else x
        nil = Tensor(np.array(0, dtype="uint64"))
        return P.select(P.equal(y, 0), P.select(P.equal(x, 0), Tensor(np.array(2 ** 63, dtype="uint64")), nil), q)
    return _fill_where_zero(y, q, 0)


def floor_mod_where_zero(y, r):
    """FloorMod / `%` of integers by 0: MindSpore 2.10 gives int32 / int64 their min for every dividend, the other
    integer dtypes 0 (as the engine)."""
    if _integer(r) and r._dtype in ("int32", "int64"):
        return _fill_where_zero(y, r, np.iinfo(r._dtype).min)
    return r
