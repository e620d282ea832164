"""An infinite or NaN number given to an op inside a trace (a -inf fill for a mask, clamp's open bound, a -inf
pad, nanmax's stand-in for NaN). A graph's JSON holds no NaN / Infinity (the service reads strict JSON), and
the catalog's number attributes are JSON numbers: such an attribute is rewritten over ops whose attributes
are finite, the number itself a 0-d constant (whose bytes travel as base64: _trace.tensor_json).

`rewrite(op, inputs, attrs, apply1)` gives the outputs, or None where no attribute is a non-finite number."""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from . import dtype as _dt
from ._tensor import Tensor


def _bad(v: Any) -> bool:
    return type(v) is float and not math.isfinite(v)


def _number(value: float, dtype: str, op: str) -> Tensor:
    if dtype not in _dt.FLOAT:
        raise ValueError(f"{op}: the value {value} cannot be held by {dtype}")
    return Tensor(np.asarray(value, dtype=dtype))


def rewrite(op: str, inputs: list, attrs: dict, apply1: Callable[..., Tensor]) -> list[Tensor] | None:
    if not any(_bad(v) for v in attrs.values()):
        return None
    if op == "fill":
        return [apply1("broadcast_to", _number(attrs["value"], attrs["dtype"], op), shape=list(attrs["shape"]))]
    x = inputs[0]
    if op == "pad":
        if attrs.get("mode", "constant") != "constant":  # (the value pads nothing)
            return [apply1("pad", x, **{**attrs, "value": 0.0})]
        value = _number(attrs["value"], x._dtype, op)
        padded = apply1("pad", x, **{**attrs, "value": 0.0})
        inside = apply1("pad", apply1("fill", shape=list(x.shape), value=1.0, dtype="bool"),
                        **{**attrs, "value": 0.0})  # where x's elements went
        return [apply1("where", inside, padded, apply1("broadcast_to", value, shape=list(padded.shape)))]
    if op == "clip" and len(inputs) == 1:
        lo, hi = attrs.get("min"), attrs.get("max")
        if x._dtype not in _dt.FLOAT:  # an integer clip's bound acts within the dtype (the engine's clip)
            info = np.iinfo(x._dtype) if x._dtype != "bool" else None
            if info is None or any(v is not None and math.isnan(v) for v in (lo, hi)):
                raise ValueError(f"clip: a NaN bound for a {x._dtype} Tensor")
            bound = [None if v is None else float(min(max(v, info.min), info.max)) for v in (lo, hi)]
            return [apply1("clip", x, min=None if lo == -math.inf else bound[0],
                           max=None if hi == math.inf else bound[1])]
        lo, hi = None if lo == -math.inf else lo, None if hi == math.inf else hi  # an open side: no bound
        if not (_bad(lo) or _bad(hi)):
            return [apply1("clip", x, min=lo, max=hi)]
        return [apply1("clip", x, _number(-math.inf if lo is None else lo, x._dtype, op),
                       _number(math.inf if hi is None else hi, x._dtype, op))]
    bad = sorted(k for k, v in attrs.items() if _bad(v))
    raise ValueError(f"{op}: attribute(s) {bad} must be finite numbers inside a trace, got "
                     f"{[attrs[k] for k in bad]}")
