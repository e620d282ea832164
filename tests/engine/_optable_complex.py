"""Op-table cases on complex operands: each complex operand is complex(re, im) of two real inputs and
each complex result is seen through real() and imag(), so test_ops_numeric checks the derivatives
(orders 1-3, reverse and forward, <v, J u> = <J^T v, u>) against finite differences on the real and
imaginary parts. That holds every complex rule (complex, real, imag and the op's own) to one chain
rule; tests/engine/test_complex.py pins the convention itself (MindSpore's) on values."""
from __future__ import annotations

import numpy as np

from _optable import Case, K, X

U = (2, 3)
RE, IM = X(U, -1.0, 1.0), X(U, -0.5, 0.5)
POS = X(U, 0.3, 2.0)  # real parts away from the branch cut of log / sqrt on the negative real axis
NZ = X(U, 0.3, 1.0, pm=True)  # away from 0 (abs and angle are not smooth there)


def _parts(gb, y):
    return [gb.real(y), gb.imag(y)] if y.dtype.startswith("complex") else [y]


def _cx(op, n=1, attrs=None, *, re=RE, im=IM, name="complex", shapes=None, pairs=None, consts=(), **kw):
    """op on n complex operands built from 2n real inputs (shapes per operand; default U), then the
    constant operands `consts` (indices, conditions)."""
    shapes = shapes or [U] * n
    specs = pairs or [(X(s, re.lo, re.hi, re.pm), X(s, im.lo, im.hi, im.pm)) for s in shapes]

    def build(gb, ins, dtype):
        zs = [gb.complex(ins[2 * k], ins[2 * k + 1]) for k in range(n)]
        return _parts(gb, gb.emit1(op, *zs, *ins[2 * n:], **(attrs or {})))
    return Case(op, [s for p in specs for s in p] + [K(c) for c in consts], build=build, name=name, **kw)


def _build_where(gb, ins, dtype):
    z, w = gb.complex(ins[0], ins[1]), gb.complex(ins[2], ins[3])
    return _parts(gb, gb.where(ins[4], z, w))


def _build_complex(gb, ins, dtype):
    return _parts(gb, gb.complex(ins[0], ins[1]))


def _build_cast(gb, ins, dtype):
    # real -> complex -> real: the real part travels, a cotangent comes back real
    z = gb.complex(ins[0], ins[1])
    cdt = z.dtype
    return [gb.cast(z, dtype=dtype), gb.real(gb.cast(gb.cast(ins[0], dtype=cdt), dtype=cdt))]


def _shifted(*shapes):
    """Parts of well-conditioned complex matrices: uniform(-1, 1), plus 3 I where square (a + 3(1 + i) I)."""
    def sample(rng):
        return [rng.uniform(-1, 1, s) + (3 * np.eye(s[-1]) if s[-1] == s[-2] else 0) for s in shapes]
    return sample


def _build_slogdet(gb, ins, dtype):
    sign, lad = gb.emit("slogdet", [gb.complex(ins[0], ins[1])], {})
    return [gb.real(lad), *_parts(gb, sign)]  # (the sign of a complex matrix moves: its phase)


CASES: list[Case] = [
    *(_cx(op) for op in ("exp", "expm1", "sin", "cos", "sinh", "cosh", "tanh", "sigmoid", "square", "neg",
                         "conj", "real", "imag", "identity", "tan")),
    *(_cx(op, re=POS) for op in ("log", "log1p", "sqrt", "rsqrt", "reciprocal")),
    _cx("asin", re=X(U, -0.7, 0.7)), _cx("acos", re=X(U, -0.7, 0.7)), _cx("atan", im=X(U, -0.4, 0.4)),
    _cx("asinh", im=X(U, -0.4, 0.4)), _cx("acosh", re=X(U, 1.3, 3.0)), _cx("atanh", re=X(U, -0.7, 0.7)),
    _cx("abs", re=NZ), _cx("angle", re=X(U, 0.2, 1.0)),
    *(_cx(op, 2) for op in ("add", "sub", "mul")),
    _cx("div", 2, pairs=[(RE, IM), (NZ, IM)]), _cx("pow", 2, pairs=[(POS, IM), (RE, IM)]),
    _cx("mul", 2, name="complex-broadcast", shapes=[U, (3,)]),
    _cx("matmul", 2, name="complex", shapes=[(2, 3), (3, 2)]),
    _cx("matmul", 2, {"transpose_a": True, "transpose_b": True}, name="complex-tt", shapes=[(3, 2), (2, 3)]),
    _cx("einsum", 2, {"equation": "ij,kj->ik"}, name="complex", shapes=[(2, 3), (2, 3)]),
    _cx("sum", 1, {"axis": (1,)}), _cx("mean", 1, {"axis": None}),
    _cx("transpose", 1, {"perm": (1, 0)}), _cx("reshape", 1, {"shape": (3, 2)}),
    _cx("cumsum", 1, {"axis": 1}), _cx("cumprod", 1, {"axis": 1}), _cx("prod", 1, {"axis": (1,)}),
    _cx("cumprod", 1, {"axis": 0, "exclusive": True, "reverse": True}, name="complex-excl-rev"),
    _cx("linrec", 2, {"axis": 1}), _cx("linrec", 2, {"axis": 0, "reverse": True}, name="complex-rev"),
    _cx("index", 1, {"index": [1, [None, None, -1]]}), _cx("flip", 1, {"axis": (1,)}),
    _cx("concat", 2, {"axis": 1}), _cx("stack", 2, {"axis": 0}), _cx("broadcast_to", 1, {"shape": (2, 2, 3)}),
    _cx("pad", 1, {"pads": ((1, 0), (0, 2))}), _cx("pad", 1, {"pads": ((1, 1), (2, 0)), "mode": "reflect"},
                                                   name="complex-reflect"),
    _cx("gather", 1, {"axis": 1}, consts=[np.array([2, 0, 2])]),
    _cx("take_along_axis", 1, {"axis": 1}, consts=[np.array([[2, 0, 2, 1], [1, 1, 0, 0]])]),
    _cx("scatter_add_along", 1, {"shape": (2, 3), "axis": 1}, shapes=[(2, 4)],
        consts=[np.array([[2, 0, 2, 1], [1, 1, 0, 2]])]),
    _cx("dynamic_slice", 1, {"sizes": (1, 2)}, consts=[np.array(1), np.array(1)]),
    _cx("dynamic_update_slice", 2, shapes=[U, (1, 2)], consts=[np.array(1), np.array(0)]),
    Case("where", [RE, IM, RE, IM, K(np.array([[True, False, True], [False, False, True]]))], build=_build_where,
         name="complex"),
    Case("complex", [RE, IM], build=_build_complex),
    Case("complex", [X(U), X((3,))], build=_build_complex, name="broadcast"),
    Case("cast", [RE, IM], build=_build_cast, name="complex"),
    _cx("matrix_inverse", 1, name="complex", shapes=[(3, 3)], sample=_shifted((3, 3), (3, 3))),
    _cx("solve", 2, name="complex", shapes=[(3, 3), (3, 2)], sample=_shifted((3, 3), (3, 3), (3, 2), (3, 2))),
    Case("slogdet", [X((3, 3)), X((3, 3))], build=_build_slogdet, name="complex",
         sample=_shifted((3, 3), (3, 3))),
]
