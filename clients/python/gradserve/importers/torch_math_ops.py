"""More ATen rules for torch_import (registered into torch_table.ATEN on import): special functions and
distances users differentiate (erfc, cdist, logaddexp, hypot, frac, xlogy, sinc, entr) and grid sampling."""
from __future__ import annotations

import math

from ._shared import composites as C
from ._shared.graph_writer import UnsupportedModel
from .torch_table import aten


@aten("aten.erfc.default", "aten.special_erfc.default")
def _erfc(c, x):
    from .torch_special import erfc  # float32's relative precision in the tail, where 1 - erf(x) is 0

    return erfc(c.w, c.v(x))


@aten("aten._cdist_forward.default")
def _cdist(c, x1, x2, p, compute_mode=None):
    """||x1[..., i, :] - x2[..., j, :]||_p by broadcasting [.., P, 1, M] - [.., 1, R, M]."""
    w, a, b = c.w, c.v(x1), c.v(x2)
    if float(p) <= 0:
        raise UnsupportedModel(f"cdist p={p} (p > 0 only)")
    sa, sb = list(w.shape(a)), list(w.shape(b))
    d = w.sub(w.reshape(a, sa[:-1] + [1, sa[-1]]), w.reshape(b, sb[:-2] + [1] + sb[-2:]))
    return C.vector_norm(w, d, float(p), [-1], False)


@aten("aten.logaddexp.default")
def _logaddexp(c, a, b):
    return C.log_add_exp(c.w, *c.pair(a, b))


@aten("aten.hypot.default")
def _hypot(c, a, b):
    w = c.w
    va, vb = c.pair(a, b)
    return w.unary("sqrt", w.add(w.mul(va, va), w.mul(vb, vb)))


@aten("aten.frac.default")
def _frac(c, x):
    """x - trunc(x): derivative 1, as torch's."""
    w, x = c.w, c.v(x)
    t = w.where(w.binary("less", x, w.scalar_like(0, x)), w.unary("ceil", x), w.unary("floor", x))
    return w.sub(x, t)


@aten("aten.xlogy.Tensor")
def _xlogy(c, a, b):
    """x * log(y), 0 where x == 0 (torch's convention, y's gradient there too)."""
    w = c.w
    va, vb = c.pair(a, b)
    zero = w.binary("equal", va, w.scalar_like(0, va))
    safe = w.where(zero, w.scalar_like(1, vb), vb)
    return w.where(zero, w.scalar_like(0, va), w.mul(va, w.unary("log", safe)))


@aten("aten.sinc.default")
def _sinc(c, x):
    """sin(pi x) / (pi x), 1 at 0. torch's decomposition, where(x == 0, 1, sin / x), has a nan derivative at 0 (the
    untaken quotient's 0 / 0; torch's own: 0). Here |pi x| < 0.01 reads the Maclaurin terms to t^6 (the rest, and
    its derivative's, below float64's rounding; its derivatives at 0 are the function's: 0, -pi^2 / 3, as JAX's rule)
    and the quotient a safe x."""
    w, x = c.w, c.v(x)
    t = w.mul(x, w.scalar_like(math.pi, x))
    small = w.binary("less", w.unary("abs", t), w.scalar_like(0.01, x))
    safe = w.where(small, w.scalar_like(1, x), t)
    t2 = w.mul(t, t)
    inner = w.add(w.scalar_like(1 / 120, x), w.mul(t2, w.scalar_like(-1 / 5040, x)))
    inner = w.add(w.scalar_like(-1 / 6, x), w.mul(t2, inner))
    series = w.add(w.scalar_like(1, x), w.mul(t2, inner))
    return w.where(small, series, w.div(w.unary("sin", safe), safe))


@aten("aten.special_entr.default")
def _entr(c, x):
    """-x log x for x > 0, 0 at 0, -inf below; derivative -(log x + 1) as torch's: +inf at 0 (torch's decomposition,
    where over an unguarded x log x, gave 0 * inf = nan there) and nan below 0 (torch's and JAX's, from log x). At
    0 the taken branch is sqrt(x): value 0, derivative +inf; the x log x branch reads a safe 1 there."""
    w, x = c.w, c.v(x)
    zero = w.binary("equal", x, w.scalar_like(0, x))
    one = w.scalar_like(1, x)
    xlogx = w.unary("neg", w.mul(x, w.unary("log", w.where(zero, one, x))))  # x < 0: nan, untaken (its gradient nan)
    at_zero = w.unary("sqrt", w.where(zero, x, one))
    inner = w.where(zero, at_zero, xlogx)
    return w.where(w.binary("less", x, w.scalar_like(0, x)), w.scalar_like(-math.inf, x), inner)


@aten("aten.grid_sampler_2d.default", "aten.grid_sampler_3d.default")
def _grid_sample(c, x, grid, interpolation_mode, padding_mode, align_corners):
    modes, pads = {0: "bilinear", 1: "nearest", 2: "bicubic"}, {0: "zeros", 1: "border", 2: "reflection"}
    return C.grid_sample(c.w, c.v(x), c.v(grid), modes[interpolation_mode], pads[padding_mode], bool(align_corners))
