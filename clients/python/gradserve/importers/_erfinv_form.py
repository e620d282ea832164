"""erfinv as a composition of elementwise ops on a graph writer `w` (importers/_shared/graph_writer.GraphWriter,
or ops/_erfinv's writer over SDK Tensors): the torch importer's aten.erfinv and gradserve.ops.erfinv. Only
NumPy and math here (the SDK's base layer), so both layers can run it."""
from __future__ import annotations

import math

import numpy as np


def _f64(w, x):
    return w.cast(x, "float64")


def _k(w, v: float, like):
    return w.scalar_like(v, like)


def erfinv(w, y):
    """erf^-1(y): Giles' single-precision polynomial (its value only: a starting point), then two
    Newton steps on erf(x) = y in float64, which carry the derivative 1 / erf'(x) (and its own)."""
    y64 = _f64(w, y)
    guess = w.unary("stop_gradient", _giles(w, y64))
    x = guess
    for _ in range(2):
        resid = w.sub(w.unary("erf", x), y64)
        slope = w.mul(w.unary("exp", w.unary("neg", w.mul(x, x))), _k(w, 2 / math.sqrt(math.pi), y64))
        x = w.sub(x, w.div(resid, slope))
    edge = w.binary("greater_equal", w.unary("abs", y64), _k(w, 1.0, y64))  # +-1: +-inf; beyond: nan
    sign = w.unary("sign", w.unary("stop_gradient", y64))
    inf = w.mul(sign, _k(w, np.inf, y64))
    edge_value = w.where(w.binary("equal", w.unary("abs", y64), _k(w, 1.0, y64)), inf, _k(w, np.nan, y64))
    return w.cast(w.where(edge, w.add(edge_value, _edge_slope(w, y64, sign)), x), w.dtype(y))


def _edge_slope(w, y, sign):
    """0 in value, with erfinv's derivative at the edges: +inf at +-1 and NaN beyond (MindSpore's and torch's),
    as the derivative of -sign(y) sqrt(1 - y^2) (0 at +-1, NaN beyond) less its value."""
    s = w.mul(w.unary("neg", sign), w.unary("sqrt", w.sub(_k(w, 1.0, y), w.mul(y, y))))
    return w.sub(s, w.unary("stop_gradient", s))


_GILES_LOW = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941)
_GILES_HIGH = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
               0.00943887047, 1.00167406, 2.83297682)


def _giles(w, y):
    safe = w.where(w.binary("less", w.unary("abs", y), _k(w, 1.0, y)), y, _k(w, 0.0, y))
    t = w.unary("neg", w.unary("log1p", w.unary("neg", w.mul(safe, safe))))
    low = w.binary("less", t, _k(w, 5.0, y))
    u = w.where(low, w.sub(t, _k(w, 2.5, y)), w.sub(w.unary("sqrt", t), _k(w, 3.0, y)))
    p = w.where(low, _k(w, _GILES_LOW[0], y), _k(w, _GILES_HIGH[0], y))
    for a, b in zip(_GILES_LOW[1:], _GILES_HIGH[1:]):
        p = w.add(w.where(low, _k(w, a, y), _k(w, b, y)), w.mul(p, u))
    return w.mul(p, safe)
