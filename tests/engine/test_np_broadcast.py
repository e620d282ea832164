"""engine/ops/np_broadcast.py: binary ufuncs called on views with the last two axes swapped give the plain
call's values, and the plans use the swap exactly where both operands broadcast to a short last axis."""
import numpy as np
import pytest

from engine import GraphBuilder
from engine.executor import _out_kernel, compile_graph
from engine.ops.np_broadcast import binary_kernel

RNG = np.random.default_rng(5)


class _Eqn:  # the parts of an equation binary_kernel reads
    def __init__(self, *shapes):
        *ins, out = [type("V", (), {"shape": s})() for s in shapes]
        self.inputs, self.outputs = ins, [out]


SPLIT = [((32, 1, 3), (1, 32, 3)), ((64, 1, 2), (1, 64, 2)), ((100, 1, 4), (1, 100, 1)), ((32, 32, 1), (3,)),
         ((1, 40, 1), (30, 1, 2))]


@pytest.mark.parametrize("sa,sb", SPLIT)
@pytest.mark.parametrize("fn", [np.add, np.subtract, np.multiply, np.divide, np.power])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_split_equals_the_ufunc(sa, sb, fn, dtype):
    a, b = RNG.standard_normal(sa).astype(dtype), RNG.standard_normal(sb).astype(dtype)
    if fn is np.power:
        a = np.abs(a)
    a.flat[::7] = -0.0
    out = np.broadcast_shapes(sa, sb)
    k = binary_kernel(fn, _Eqn(sa, sb, out))
    assert k is not fn
    with np.errstate(all="ignore"):
        ref = fn(a, b)
        o = np.empty(out, dtype)
        assert k(a, b, o) is o
        got_fresh = k(a, b)
    assert o.dtype == ref.dtype and o.tobytes() == ref.tobytes()
    assert got_fresh.tobytes() == ref.tobytes()


@pytest.mark.parametrize("sa,sb", [((32, 32, 3), (3,)),  # one operand has the output's shape: NumPy merges axes
                                   ((16, 1, 3), (1, 16, 3)),  # too few elements per index
                                   ((8, 8, 1, 3), (1, 1, 8, 3)),  # each split call would loop over 8
                                   ((32, 1, 8), (1, 32, 8)),  # last axis not short
                                   ((4096,), (1,)),
                                   ((1, 40, 2), (30, 1, 1))])  # NumPy merges the last two axes: 30 loops of 80
def test_kept_as_numpy_elsewhere(sa, sb):
    assert binary_kernel(np.add, _Eqn(sa, sb, np.broadcast_shapes(sa, sb))) is np.add


def test_a_kernel_that_is_no_ufunc_is_kept():
    """Only a ufunc takes order="C" (its iteration order); a Python kernel is called as it is."""
    def k_max(x, y, o=None):
        return np.maximum(x, y, out=o)
    assert binary_kernel(k_max, _Eqn((32, 1, 3), (1, 32, 3), (32, 32, 3))) is k_max


def test_plan_uses_the_split_and_equals_the_generic_loop():
    gb = GraphBuilder("t")
    x = gb.input((48, 3), "float32")
    d = gb.sub(gb.expand_dims(x, axis=1), gb.expand_dims(x, axis=0))  # pairwise differences, as in L1
    g = gb.build(gb.mul(d, d))
    plan = compile_graph(g)
    kernels = {e.op: _out_kernel(e) for e in plan.graph.eqns if e.op in ("sub", "mul")}
    assert kernels["sub"][0].__name__ == "swapped" and kernels["mul"][0] is np.multiply  # mul: d has the out shape
    X = RNG.standard_normal((48, 3)).astype(np.float32)
    fast = plan.run_host([X])
    plan.program = None  # the backend-generic step loop: the impl rules, no swap
    assert fast.tobytes() == plan.run_host([X]).tobytes()
