"""torch.export's FFT and complex-view ops on the engine's fft / rfft / irfft (importers/_shared/fft_forms.py):
aten._fft_r2c / _fft_c2r / _fft_c2c (what torch.fft.* decompose to), view_as_real / view_as_complex, complex,
real, imag, conj, and abs of a complex tensor (a real result).
ATen's normalization: 0 none, 1 by 1/sqrt(n), 2 by 1/n, on whichever direction the op runs; as numpy's names
that is forward transforms {0: backward, 1: ortho, 2: forward}, inverse ones {0: forward, 1: ortho, 2: backward}."""
from __future__ import annotations

import numpy as np

from ._shared import fft_forms as FF
from .torch_table import aten

_FORWARD = {0: "backward", 1: "ortho", 2: "forward"}
_INVERSE = {0: "forward", 1: "ortho", 2: "backward"}


@aten("aten._fft_r2c.default")
def _r2c(c, x, dim, normalization, onesided):
    return FF.r2c(c.w, c.v(x), dim, norm=_FORWARD[normalization], onesided=onesided)


@aten("aten._fft_c2c.default")
def _c2c(c, x, dim, normalization, forward):
    return FF.c2c(c.w, c.v(x), dim, inverse=not forward, norm=(_FORWARD if forward else _INVERSE)[normalization])


@aten("aten._fft_c2r.default")
def _c2r(c, x, dim, normalization, last_dim_size):
    return FF.c2r(c.w, c.v(x), dim, int(last_dim_size), norm=_INVERSE[normalization])


@aten("aten.view_as_real.default")
def _view_as_real(c, z):
    return FF.pairs_of_complex(c.w, c.v(z))


@aten("aten.view_as_complex.default")
def _view_as_complex(c, x):
    return FF.complex_of_pairs(c.w, c.v(x))


@aten("aten.complex.default")
def _complex(c, re, im):
    r, i = c.pair(re, im)
    shape = np.broadcast_shapes(c.w.shape(r), c.w.shape(i))
    return c.w.emit1("complex", [r, i], {}, shape, FF.COMPLEX_OF[FF.real_dtype(c.w, r)])


def _part(op):
    def rule(c, z):
        v = c.v(z)
        return c.w.emit1(op, [v], {}, c.w.shape(v), FF.REAL_OF.get(c.w.dtype(v), c.w.dtype(v)))
    return rule


aten("aten.real.default")(_part("real"))
aten("aten.imag.default")(_part("imag"))
aten("aten.abs.default")(_part("abs"))  # |z| is real; of a real tensor: its dtype
aten("aten.conj.default", "aten.conj_physical.default", "aten._conj.default", "aten.resolve_conj.default")(
    lambda c, z: c.w.unary("conj", c.v(z)))
