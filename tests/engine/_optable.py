"""Per-op sample cases for the numeric derivative tests (and the backend tests).

Every op in `engine.ops.OPS` needs at least one case here or an entry in
`EXEMPT` with the reason it has no derivative to check. A case names the op,
its inputs (float inputs to differentiate, with their domain, and constants
such as indices or conditions) and its attrs; `build` overrides how the op is
emitted (function ops, round-trip casts).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from engine import GraphBuilder

# Ops with nothing to differentiate: they are marked nondiff in the registry
# (boolean outputs or constants). test_table_covers_registry checks that every
# exempt op really is nondiff, so a differentiable op cannot hide here.
EXEMPT = {
    "equal": "comparison: bool output, nondiff",
    "not_equal": "comparison: bool output, nondiff",
    "less": "comparison: bool output, nondiff",
    "less_equal": "comparison: bool output, nondiff",
    "greater": "comparison: bool output, nondiff",
    "greater_equal": "comparison: bool output, nondiff",
    "logical_and": "bool in, bool out, nondiff",
    "logical_or": "bool in, bool out, nondiff",
    "logical_not": "bool in, bool out, nondiff",
    "bitwise_and": "integer in, integer out, nondiff",
    "bitwise_or": "integer in, integer out, nondiff",
    "bitwise_xor": "integer in, integer out, nondiff",
    "const": "a literal, no inputs",
    "fill": "a literal, no inputs",
    "zeros_like": "value independent of the input (nondiff); derivative is zero by definition",
    "ones_like": "value independent of the input (nondiff); derivative is zero by definition",
}


@dataclass(frozen=True)
class X:
    """A float input drawn uniformly from [lo, hi]; pm: magnitude in [lo, hi] with a random sign."""

    shape: tuple
    lo: float = -1.0
    hi: float = 1.0
    pm: bool = False

    def sample(self, rng, dtype="float64"):
        v = rng.uniform(self.lo, self.hi, self.shape)
        if self.pm:
            v = v * rng.choice([-1.0, 1.0], self.shape)
        return np.asarray(v, dtype=dtype)


@dataclass(frozen=True)
class K:
    """A constant input (indices, conditions): part of the graph, not differentiated."""

    value: Any


@dataclass
class Case:
    op: str
    inputs: list
    attrs: dict = field(default_factory=dict)
    name: str = ""
    build: Callable | None = None  # build(gb, ins) -> list of output Vars
    sample: Callable | None = None  # sample(rng) -> list of float arrays (overrides X.sample)
    fd_eps: float = 1e-6
    dot_rtol: float = 1e-10  # <v, J u> vs <J^T v, u>: both exact in float64 unless the op rounds
    zero_derivative: bool = False  # derivative is zero by definition (stop_gradient), not what FD sees
    note: str = ""

    @property
    def id(self):
        return f"{self.op}-{self.name}" if self.name else self.op

    def float_specs(self):
        return [s for s in self.inputs if isinstance(s, X)]

    def draw(self, seed: int, dtype="float64"):
        rng = np.random.default_rng(seed)
        if self.sample is not None:
            return [np.asarray(a, dtype) for a in self.sample(rng)]
        return [s.sample(rng, dtype) for s in self.float_specs()]

    def emit(self, gb: GraphBuilder, dtype="float64"):
        """Emit the op into gb: returns (float input Vars, list of output Vars)."""
        xs, ins = [], []
        for i, s in enumerate(self.inputs):
            if isinstance(s, X):
                v = gb.input(s.shape, dtype, name=f"x{i}")
                xs.append(v)
                ins.append(v)
            else:
                ins.append(gb.const(np.asarray(s.value)))
        if self.build is not None:
            outs = self.build(gb, ins, dtype)
        else:
            outs = gb.emit(self.op, ins, dict(self.attrs))
        return xs, list(outs)


def _sep_pair(shape_x, shape_y):
    """maximum/minimum: every broadcast pair at least 0.1 apart, either side (ties are kinks)."""
    def sample(rng):
        y = rng.uniform(-1, 1, shape_y)
        full = np.broadcast_shapes(shape_x, shape_y)
        x = np.broadcast_to(y, full) + rng.uniform(0.1, 0.6, full) * rng.choice([-1.0, 1.0], full)
        assert x.shape == tuple(shape_x)
        return [x, y]
    return sample


def _fn_graph(make, shapes, dtype, name):
    g = GraphBuilder(name)
    ins = [g.input(s, dtype, name=f"a{i}") for i, s in enumerate(shapes)]
    return g.build(make(g, *ins))


def _build_call(gb, ins, dtype):
    fn = _fn_graph(lambda g, a, c: g.mul(g.sin(a), g.exp(c)), [(2, 3), (3,)], dtype, "f_call")
    name = gb.function(fn)
    return gb.emit("call", ins, {"fn": name})


def _build_custom_vjp(gb, ins, dtype):
    # out = sin(a) * exp(c) with its true derivative as the user rule, written with `out` (so higher
    # orders reach out through the rule again): (cos(a) exp(c) dout, sum_rows(out dout))
    fwd = _fn_graph(lambda g, a, c: g.mul(g.sin(a), g.exp(c)), [(2, 3), (3,)], dtype, "f_cv")
    rule = _fn_graph(lambda g, a, c, out, d: (g.mul(g.mul(g.cos(a), g.exp(c)), d),
                                             g.reduce_to(g.mul(out, d), shape=(3,))),
                     [(2, 3), (3,), (2, 3), (2, 3)], dtype, "f_cv_bprop")
    fname, bname = gb.function(fwd), gb.function(rule)
    raw = gb.emit("call", ins, {"fn": fname})
    return gb.emit("custom_vjp", list(ins) + list(raw), {"bprop": bname, "n_in": 2, "n_out": 1, "params": []})


def _build_grad(gb, ins, dtype):
    # grad node of f(a, c) = sum(sin(a) * c * c) w.r.t. both inputs: (cos(a) * c^2, 2 c sum_rows(sin a))
    fn = _fn_graph(lambda g, a, c: g.sum(g.mul(g.sin(a), g.mul(c, c))), [(2, 3), (3,)], dtype, "f_grad")
    name = gb.function(fn)
    return gb.emit("grad", ins, {"fn": name, "positions": (0, 1)})


def _build_grad_sens_value(gb, ins, dtype):
    # grad node with sens and with_value over a two-output function
    fn = _fn_graph(lambda g, a: (g.tanh(a), g.sum(g.square(a), axis=(1,))), [(2, 3)], dtype, "f_grad2")
    name = gb.function(fn)
    return gb.emit("grad", ins, {"fn": name, "positions": (0,), "sens": True, "with_value": True})


def _build_jvp(gb, ins, dtype):
    # jvp node of f(a) = exp(a) * a at a with tangent t: (f(a), (exp(a) (1 + a)) t)
    fn = _fn_graph(lambda g, a: g.mul(g.exp(a), g.sin(a)), [(2, 3)], dtype, "f_jvp")
    name = gb.function(fn)
    return gb.emit("jvp", ins, {"fn": name})


def _build_vmap(gb, ins, dtype):
    # vmap node: f(a, c) = sin(a) * exp(c) mapped over a's rows (axis 0), c shared (engine/vmap.py)
    fn = _fn_graph(lambda g, a, c: g.mul(g.sin(a), g.exp(c)), [(3,), (3,)], dtype, "f_vmap")
    name = gb.function(fn)
    return gb.emit("vmap", ins, {"fn": name, "in_axes": (0, None), "out_axes": 0})


def _build_cast(gb, ins, dtype):
    # float64 -> float32 -> float64: both directions of cast's rules. float32 rounding
    # makes the function a staircase at the 1e-7 scale, so the case uses a wide FD step
    # (exact for this linear map up to that rounding).
    return [gb.cast(gb.cast(ins[0], dtype="float32"), dtype=dtype)]


U = (2, 3)
UN = X(U)  # unconstrained default


def _unary(op, spec=UN, **kw):
    return Case(op, [spec], **kw)


CASES: list[Case] = [
    # -- unary elementwise ------------------------------------------------------------
    _unary("exp"), _unary("log", X(U, 0.3, 2.0)), _unary("log1p", X(U, -0.5, 1.0)), _unary("expm1"),
    _unary("sqrt", X(U, 0.3, 2.0)), _unary("rsqrt", X(U, 0.3, 2.0)),
    _unary("reciprocal", X(U, 0.5, 2.0, pm=True)), _unary("square"),
    _unary("sin", X(U, -2, 2)), _unary("cos", X(U, -2, 2)), _unary("tan"),
    _unary("sinh"), _unary("cosh"), _unary("tanh", X(U, -1.5, 1.5)),
    _unary("asin", X(U, -0.8, 0.8)), _unary("acos", X(U, -0.8, 0.8)), _unary("atan", X(U, -2, 2)),
    _unary("asinh", X(U, -2, 2)), _unary("acosh", X(U, 1.2, 3.0)), _unary("atanh", X(U, -0.8, 0.8)),
    _unary("sigmoid", X(U, -2, 2)), _unary("softplus", X(U, -2, 2)), _unary("erf", X(U, -1.5, 1.5)),
    _unary("erfinv", X(U, -0.9, 0.9)),
    _unary("lgamma", X(U, 0.3, 4.0)), _unary("digamma", X(U, 0.3, 4.0)),
    # Bessel I: both branches of the approximation (|x| <= 3.75 and above); the rules are the exact identities,
    # the values the approximation (2e-7 relative): finite differences of the values see the latter's slopes
    *(_unary(op, X(U, 0.2, 6.0, pm=True)) for op in ("bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e")),
    Case("polygamma", [X(U, 0.3, 4.0)], {"n": 1}, name="n1"),
    Case("polygamma", [X(U, 0.5, 3.0)], {"n": 2}, name="n2"),
    _unary("relu", X(U, 0.1, 1.0, pm=True)), _unary("abs", X(U, 0.1, 1.0, pm=True)),
    _unary("neg"), _unary("sign", X(U, 0.1, 1.0, pm=True)),
    # piecewise constant: samples off the integers (floor, ceil) and off the half-integers (round)
    _unary("floor", X(U, 0.1, 0.9, pm=True)), _unary("ceil", X(U, 0.1, 0.9, pm=True)),
    _unary("round", X(U, 0.1, 0.4, pm=True)),
    _unary("identity"), _unary("stop_gradient", zero_derivative=True),
    # float32 round trip: the tangent / cotangent is rounded to float32 on the way (as in JAX), so
    # the two sides of the dot identity agree to float32 precision only; the function is linear up
    # to float32 rounding, so FD with a wide step is exact up to ~1e-7 / step.
    Case("cast", [UN], build=_build_cast, fd_eps=1e-2, dot_rtol=1e-6, note="float32 round trip"),
]

# -- binary elementwise, with broadcasting ---------------------------------------------
_BCAST = [("same", U, U), ("row", U, (3,)), ("one", U, (1,)), ("col", (2, 1), (1, 3)), ("lhs", (3,), U),
          ("scalar", U, ())]
for _op in ("add", "sub", "mul"):
    for _n, _a, _b in _BCAST:
        CASES.append(Case(_op, [X(_a), X(_b)], name=_n))
for _n, _a, _b in _BCAST:
    CASES.append(Case("div", [X(_a), X(_b, 0.5, 2.0, pm=True)], name=_n))
    CASES.append(Case("pow", [X(_a, 0.5, 2.0), X(_b, -1.5, 1.5)], name=_n))
    # both operands away from 0: off the origin and off the branch cut (y = 0, x < 0)
    CASES.append(Case("atan2", [X(_a, 0.5, 2.0, pm=True), X(_b, 0.5, 2.0, pm=True)], name=_n))
for _n, _a, _b in _BCAST:
    # a / b off the integers, where the quotient is locally constant: |a / b| in (2.01, 2.9), so
    # floor(a / b) is 2 or -3 and trunc(a / b) is 2 or -2 with either sign of a and b
    CASES.append(Case("remainder", [X(_a, 2.1, 2.9, pm=True), X(_b, 1.0, 1.04, pm=True)], name=_n))
    CASES.append(Case("fmod", [X(_a, 2.1, 2.9, pm=True), X(_b, 1.0, 1.04, pm=True)], name=_n))
    # a one ulp step towards b, b well away from a (either side): d/da 1, d/db 0
    CASES.append(Case("nextafter", [X(_a, 0.5, 2.0, pm=True), X(_b, 3.0, 4.0, pm=True)], name=_n))
for _op in ("maximum", "minimum"):
    for _n, _a, _b in _BCAST[:3]:
        CASES.append(Case(_op, [X(_a), X(_b)], name=_n, sample=_sep_pair(_a, _b)))

_COND = np.array([[True, False, True], [False, False, True]])
CASES += [
    Case("where", [K(_COND), X(U), X(U)], name="same"),
    Case("where", [K(_COND), X(U), X((3,))], name="row"),
    Case("where", [K(_COND[0]), X(U), X((1,))], name="cond-row"),
]

# -- matmul -------------------------------------------------------------------------------
CASES += [
    Case("matmul", [X((2, 3)), X((3, 4))], name="plain"),
    Case("matmul", [X((3, 2)), X((3, 4))], {"transpose_a": True}, name="ta"),
    Case("matmul", [X((2, 3)), X((4, 3))], {"transpose_b": True}, name="tb"),
    Case("matmul", [X((3, 2)), X((4, 3))], {"transpose_a": True, "transpose_b": True}, name="ta-tb"),
    Case("matmul", [X((2, 2, 3)), X((2, 3, 2))], name="batched"),
    Case("matmul", [X((2, 3)), X((2, 3, 2))], name="batch-bcast"),
    Case("matmul", [X((2, 1, 3, 2)), X((3, 2, 3))], {"transpose_a": True, "transpose_b": True},
         name="batch-bcast-ta-tb"),
]

# -- reductions -----------------------------------------------------------------------------
_RED = [("all", {}), ("ax0", {"axis": (0,)}), ("ax1-keep", {"axis": (1,), "keepdims": True}),
        ("ax-neg", {"axis": (-1,)}), ("both-keep", {"axis": (0, 1), "keepdims": True})]
for _op in ("sum", "mean", "max", "min", "logsumexp"):
    for _n, _at in _RED:
        CASES.append(Case(_op, [UN], _at, name=_n))
for _n, _at in _RED:
    CASES.append(Case("prod", [X(U, 0.5, 1.5, pm=True)], _at, name=_n))
# prod with one zero factor per row: the zero-safe path (exact to third order per the op's doc)
# A row of 3 is a cubic, so its 2nd derivative is linear in x and central FD is exact for any
# step; the wide step keeps FD points away from x ~ 1e-6, where the zero-safe rule's out / x
# loses digits (see engine/ops/reductions.py).
CASES.append(Case("prod", [UN], {"axis": (1,)}, name="zero", fd_eps=1e-3,
                  sample=lambda rng: [np.array([[0.0, 0.7, -1.2], [0.9, 0.0, 1.3]])]))
CASES += [
    Case("softmax", [UN], {"axis": -1}, name="last"), Case("softmax", [UN], {"axis": 0}, name="ax0"),
    Case("log_softmax", [UN], {"axis": -1}, name="last"), Case("log_softmax", [UN], {"axis": 0}, name="ax0"),
]

# -- shape ops --------------------------------------------------------------------------------
CASES += [
    Case("reshape", [UN], {"shape": (3, 2)}, name="3x2"),
    Case("reshape", [UN], {"shape": (-1,)}, name="flat"),
    Case("transpose", [UN], {"perm": None}, name="default"),
    Case("transpose", [X((2, 3, 2))], {"perm": (1, 2, 0)}, name="3d"),
    Case("broadcast_to", [X((3,))], {"shape": (2, 3)}, name="row"),
    Case("broadcast_to", [X((2, 1))], {"shape": (2, 2, 3)}, name="col"),
    Case("reduce_to", [UN], {"shape": (3,)}, name="row"),
    Case("reduce_to", [UN], {"shape": (2, 1)}, name="col"),
    Case("reduce_to", [X((2, 2, 3))], {"shape": (1, 3)}, name="lead"),
    Case("expand_dims", [UN], {"axis": 0}, name="0"),
    Case("expand_dims", [UN], {"axis": -1}, name="last"),
    Case("squeeze", [X((2, 1, 3))], {"axis": None}, name="all"),
    Case("squeeze", [X((1, 2, 1, 3))], {"axis": (2,)}, name="one"),
    Case("concat", [X(U), X((2, 2))], {"axis": 1}, name="ax1"),
    Case("concat", [X(U), X((1, 3)), X(U)], {"axis": 0}, name="three"),
    Case("stack", [X(U), X(U)], {"axis": 0}, name="ax0"),
    Case("stack", [X(U), X(U), X(U)], {"axis": -1}, name="last"),
    Case("split", [X((2, 4))], {"sections": 2, "axis": 1}, name="sections"),
    Case("split", [X((3, 2))], {"indices": (1,), "axis": 0}, name="indices"),
    Case("tile", [UN], {"reps": (2, 1)}, name="2x1"),
    Case("tile", [X((3,))], {"reps": (2, 2)}, name="rank-up"),
    Case("index", [UN], {"index": [0]}, name="row"),
    Case("index", [UN], {"index": [0, 0]}, name="elem"),
    Case("index", [UN], {"index": [[None, None, None], 1]}, name="col"),
    Case("index", [UN], {"index": ["...", [None, None, -1]]}, name="reverse"),
    Case("index", [UN], {"index": [None, [1, None, None]]}, name="newaxis"),
    Case("index", [X((3, 5))], {"index": [[None, None, -2], [4, 0, -2], None]}, name="neg-step"),
    Case("index", [X((2, 3, 2))], {"index": [-1, "...", [None, None, -1]]}, name="neg-int-ellipsis"),
    Case("index_scatter", [X((2,))], {"shape": (2, 3), "index": [[None, None, None], 1]}, name="col"),
    Case("index_scatter", [X((2, 2))], {"shape": (2, 3), "index": ["...", [0, 3, 2]]}, name="stride"),
    Case("index_scatter", [X((1, 2, 2))], {"shape": (2, 5), "index": [None, [None, None, -1], [None, None, -3]]},
         name="neg-step-newaxis"),
    Case("gather", [UN, K(np.array([2, 0, 2, 1]))], {"axis": 1}, name="ax1"),
    Case("gather", [UN, K(np.array([[1, 0], [1, 1]]))], {"axis": 0}, name="ax0-2d"),
    Case("scatter_add", [X((2, 4)), K(np.array([0, 2, 2, 1]))], {"shape": (2, 3), "axis": 1}, name="ax1"),
    # -- function ops: derivative nodes inside the graph -------------------------------------------
    Case("call", [X(U), X((3,))], build=_build_call),
    Case("grad", [X(U), X((3,))], build=_build_grad, name="positions"),
    Case("grad", [X(U), X(U), X((2,))], build=_build_grad_sens_value, name="sens-value"),
    Case("jvp", [X(U), X(U)], build=_build_jvp),
    Case("custom_vjp", [X(U), X((3,))], build=_build_custom_vjp),
    Case("vmap", [X(U), X((3,))], build=_build_vmap),
]

CASE_IDS = [c.id for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), "case ids must be unique"

# The ops of issue #14 live in their own table (tests/engine/_optable_ops.py).
from _optable_ops import CASES as _NEW_CASES, EXEMPT as _NEW_EXEMPT  # noqa: E402

CASES += _NEW_CASES
EXEMPT.update(_NEW_EXEMPT)
CASE_IDS = [c.id for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), "case ids must be unique"

# Complex operands (tests/engine/_optable_complex.py).
from _optable_complex import CASES as _COMPLEX_CASES  # noqa: E402

CASES += _COMPLEX_CASES
CASE_IDS = [c.id for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), "case ids must be unique"


# Fourier transforms (tests/engine/_optable_fft.py).
from _optable_fft import CASES as _FFT_CASES  # noqa: E402

CASES += _FFT_CASES
CASE_IDS = [c.id for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), "case ids must be unique"
