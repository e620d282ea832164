"""Op-table cases of the Fourier transforms (engine/ops/fft.py): complex operands are complex(re, im) of
real inputs and complex results are seen through real() and imag() (as _optable_complex), so
test_ops_numeric checks every rule (orders 1-3, both modes) against finite differences. Each norm, an
inverse, several axes in a non-sorted order, odd and even lengths (irfft's Nyquist term) are covered."""
from __future__ import annotations

from _optable import Case, X
from _optable_complex import _cx, _parts


def _build_rfft(gb, ins, dtype, axes=(1,), norm="backward"):
    return _parts(gb, gb.rfft(ins[0], axes=axes, norm=norm))


CASES: list[Case] = [
    _cx("fft", 1, {"axes": (1,)}, name="last", shapes=[(2, 5)]),
    _cx("fft", 1, {"axes": (0, 1), "inverse": True, "norm": "ortho"}, name="inverse-2d-ortho", shapes=[(3, 4)]),
    _cx("fft", 1, {"axes": (2, 0), "norm": "forward"}, name="axes-forward", shapes=[(2, 3, 4)]),
    Case("rfft", [X((2, 6))], build=_build_rfft, name="even"),
    Case("rfft", [X((3, 5, 2))], build=lambda gb, ins, dt: _build_rfft(gb, ins, dt, (2, 1), "ortho"),
         name="odd-2d-ortho"),
    Case("rfft", [X((4, 3))], build=lambda gb, ins, dt: _build_rfft(gb, ins, dt, (0,), "forward"), name="axis0-forward"),
    _cx("irfft", 1, {"axes": (1,), "n": 6}, name="even", shapes=[(2, 4)]),
    _cx("irfft", 1, {"axes": (1,), "n": 7, "norm": "ortho"}, name="odd-ortho", shapes=[(2, 4)]),
    _cx("irfft", 1, {"axes": (0, 1), "n": 4, "norm": "forward"}, name="2d-forward", shapes=[(3, 3)]),
    _cx("irfft", 1, {"axes": (1,), "n": 2}, name="n2", shapes=[(2, 2)]),
]
