"""MindSpore leftovers, round 31 (h-left31; benchmarks/mindspore_suite/README.md, "Leftovers, round 31").

Expected values and texts: MindSpore 2.10 (CPU) runs for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left31/probe/p*.py, each run in GRAPH_MODE and in PYNATIVE_MODE)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn

P = ms.ops
G = 0
K = 0
T = 1.0
D = 4
E = 1
F = 2
C = 1


def _x():
    return Tensor(np.float32(2.0))


# -- 1. a global a graph writes: the module keeps its value; the first block reads the module's ---------------
def _calls(f, n=3):
    return [float(f(_x()).asnumpy()) for _ in range(n)]


@ms.jit
def _g_inc(x):
    global G
    G = G + 1
    return x * G


def test_jit_global_write_ignored_in_both_modes(fake):
    global G
    for mode in (ms.GRAPH_MODE, ms.PYNATIVE_MODE):
        ms.set_context(mode=mode)
        G = 0
        assert _calls(_g_inc) == [0.0, 0.0, 0.0]  # MindSpore 2.10 (p1.py, both modes): x * 0 on every call
        assert G == 0  # MindSpore 2.10: G stays 0


class _AddK(nn.Cell):
    def construct(self, x):
        global K
        K = K + 5
        return x + K


def test_cell_global_write_graph_mode_ignored(fake, graph_mode):
    global K
    K = 0
    assert _calls(_AddK()) == [2.0, 2.0, 2.0]  # MindSpore 2.10 (p1.py, GRAPH_MODE): 2.0, K stays 0
    assert K == 0


def test_cell_global_write_pynative_is_python(fake, pynative):
    global K
    K = 0
    assert _calls(_AddK()) == [7.0, 12.0, 17.0]  # MindSpore 2.10 (p1.py, PyNative): 7, 12, 17; K 15
    assert K == 15


@ms.jit
def _h_tensor(x):
    global T
    T = x * 2
    return T + 1


@ms.jit
def _aug_twice(x):
    global D
    D += 1
    D += 1
    return x * D


def _inc_c():
    global C
    C += 1
    return C


@ms.jit
def _calls_helper(x):
    return x * _inc_c()


@ms.jit
def _inner_writes(x):
    def inner():
        global C
        C = 100
        return C
    return x * inner()


@pytest.mark.parametrize("f,want", [(_h_tensor, 2.0), (_aug_twice, 8.0), (_calls_helper, 2.0), (_inner_writes, 2.0)])
def test_first_block_reads_the_module_value(fake, graph_mode, f, want):
    global T, D, C
    t0 = T = Tensor(np.float32(1.0))
    D, C = 4, 1
    assert _calls(f, 2) == [want, want]  # MindSpore 2.10 (p1.py, p1b.py, GRAPH_MODE)
    assert (T, D, C) == (t0, 4, 1)


@ms.jit
def _loop(x):
    global E
    for i in range(3):
        E = E + i
    return x * E


@ms.jit
def _if_write(x):
    global F
    if x > 1:
        F = 10
    return x * F


@ms.jit
def _straight_then_loop(x):
    global E
    E = 5
    for _ in range(2):
        E = E + 1
    return x * E


@ms.jit
def _straight_then_if(x):
    global E
    E = 5
    if x > 1:
        pass
    return x * E


@ms.jit
def _if_then_straight(x):
    global F
    if x > 1:
        F = 10
    F = 7
    return x * F


@ms.jit
def _while_write(x):
    global E
    i = 0
    while i < 2:
        E = E + 1
        i += 1
    return x * E


@pytest.mark.parametrize("f,want", [(_loop, 8.0), (_if_write, 20.0), (_straight_then_loop, 14.0),
                                    (_straight_then_if, 10.0), (_if_then_straight, 14.0), (_while_write, 6.0)])
def test_later_blocks_read_the_write(fake, graph_mode, f, want):
    global E, F
    E, F = 1, 2
    assert _calls(f, 2) == [want, want]  # MindSpore 2.10 (p1b.py, p1c.py, GRAPH_MODE)
    assert (E, F) == (1, 2)


@ms.jit
def _undefined_read(x):
    global LEFT31_UNDEFINED
    LEFT31_UNDEFINED = x * 2
    return LEFT31_UNDEFINED + 1


@ms.jit
def _undefined_write(x):
    global LEFT31_UNWRITTEN
    LEFT31_UNWRITTEN = x * 2
    return x + 1


def test_undefined_global(fake, graph_mode):
    with pytest.raises(NameError, match="^The name 'LEFT31_UNDEFINED' is not defined, or not supported in graph mode."):
        _undefined_read(_x())  # MindSpore 2.10 (p1b.py, both modes): this NameError
    assert float(_undefined_write(_x()).asnumpy()) == 3.0  # MindSpore 2.10: 3.0, the module still lacks the name
    assert "LEFT31_UNWRITTEN" not in globals()


# -- 2. a list / tuple as a Tensor method's or an ops / mindspore.numpy function's operand ---------------------
MNP = ms.numpy
# (program, MindSpore 2.10 PyNative's exception class and text: p2.py / p2b.py)
PY_SEQ = [
    (lambda t, u: t.maximum((u,)), TypeError, "maximum(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.maximum([u]), TypeError, "maximum(): argument 'other' (position 1) must be Tensor, not list."),
    (lambda t, u: t.minimum([u]), TypeError, "minimum(): argument 'other' (position 1) must be Tensor, not list."),
    (lambda t, u: t.minimum((1.0, 2.0)), TypeError, "minimum(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.eq((u,)), TypeError, 'Failed calling eq with "eq(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.eq(other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.eq(other=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.eq((1.0, 2.0)), TypeError, 'Failed calling eq with "eq(Tuple<float, float>)".\nThe valid calling should be:\n"Tensor.eq(other=<Number>)"\n    match failed because invalid types: (Tuple<float, float>)\n                                         ~~~~~~~~~~~~~~~~~~~~~\n"Tensor.eq(other=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<float, float>)\n                                         ~~~~~~~~~~~~~~~~~~~~~'),
    (lambda t, u: t.ne((u,)), TypeError, "not_equal(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.gt((u,)), TypeError, "greater(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.lt([u]), TypeError, 'Failed calling less with "less(List<Tensor>)".\nThe valid calling should be:\n"Tensor.less(other=<Number>)"\n    match failed because invalid types: (List<Tensor>)\n                                         ~~~~~~~~~~~~~~\n"Tensor.less(other=<Number, Tensor, bool>)"\n    match failed because invalid types: (List<Tensor>)\n                                         ~~~~~~~~~~~~~~'),
    (lambda t, u: t.ge((u,)), TypeError, 'Failed calling greater_equal with "greater_equal(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.greater_equal(other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.greater_equal(other=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.le((u,)), TypeError, "less_equal(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.div((u,)), TypeError, 'Failed calling div with "div(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.div(other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.div(other=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.div(other=<Number>, *, rounding_mode=<None, string>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.div(other=<Number, Tensor>, *, rounding_mode=<None, string>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.pow((u,)), TypeError, 'Failed calling pow with "pow(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.pow(exponent=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.pow(exponent=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.mul((u,)), TypeError, 'Failed calling Mul with "Mul()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Mul()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: t.true_divide((u,)), TypeError, "true_divide(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.fmod((u,)), TypeError, 'Failed calling fmod with "fmod(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.fmod(other=<Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.fmod(other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.fmod(other=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.remainder((u,)), TypeError, 'Failed calling remainder with "remainder(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.remainder(other=<Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.remainder(other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.remainder(divisor=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.floor_divide((u,)), TypeError, 'Failed calling floor_divide with "floor_divide(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.floor_divide(other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.floor_divide(other=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.atan2((u,)), TypeError, 'Failed calling atan2 with "atan2(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.atan2(other=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.logical_and((u,)), TypeError, 'Failed calling logical_and with "logical_and(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.logical_and(y=<Tensor, bool>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.logical_and(other=<Tensor, bool>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: P.maximum(t, (u,)), TypeError, 'Failed calling Maximum with "Maximum()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Maximum()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.minimum(t, [u]), TypeError, 'Failed calling Minimum with "Minimum()(input=Tensor, other=List<Tensor>)".\nThe valid calling should be: \n"Minimum()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.eq(t, (u,)), TypeError, 'Failed calling Equal with "Equal()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Equal()(input=<Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.ne(t, (u,)), TypeError, 'Failed calling NotEqual with "NotEqual()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"NotEqual()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.gt(t, (u,)), TypeError, 'Failed calling Greater with "Greater()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Greater()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.lt(t, (u,)), TypeError, 'Failed calling less with "less(Tensor, Tuple<Tensor>)".\nThe valid calling should be:\n"less(input=<Tensor>, other=<Number>)"\n    match failed because invalid types: (Tensor, Tuple<Tensor>)\n                                                 ~~~~~~~~~~~~~~~\n"less(input=<Tensor>, other=<Number, Tensor, bool>)"\n    match failed because invalid types: (Tensor, Tuple<Tensor>)\n                                                 ~~~~~~~~~~~~~~~'),
    (lambda t, u: P.ge(t, (u,)), TypeError, 'Failed calling GreaterEqual with "GreaterEqual()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"GreaterEqual()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.le(t, (u,)), TypeError, 'Failed calling LessEqual with "LessEqual()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"LessEqual()(input=<bool, Number, Tensor>, other=<bool, Number, Tensor>)".'),
    (lambda t, u: P.greater(t, (u,)), TypeError, 'Failed calling Greater with "Greater()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Greater()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.less(t, (u,)), TypeError, 'Failed calling less with "less(Tensor, Tuple<Tensor>)".\nThe valid calling should be:\n"less(input=<Tensor>, other=<Number>)"\n    match failed because invalid types: (Tensor, Tuple<Tensor>)\n                                                 ~~~~~~~~~~~~~~~\n"less(input=<Tensor>, other=<Number, Tensor, bool>)"\n    match failed because invalid types: (Tensor, Tuple<Tensor>)\n                                                 ~~~~~~~~~~~~~~~'),
    (lambda t, u: P.pow(t, (u,)), TypeError, 'Failed calling Pow with "Pow()(input=Tensor, exponent=Tuple<Tensor>)".\nThe valid calling should be: \n"Pow()(input=<Number, Tensor>, exponent=<Number, Tensor>)".'),
    (lambda t, u: P.atan2(t, (u,)), TypeError, 'Failed calling Atan2 with "Atan2()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Atan2()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.maximum(t, (1.0, 2.0)), TypeError, 'Failed calling Maximum with "Maximum()(input=Tensor, other=Tuple<float, float>)".\nThe valid calling should be: \n"Maximum()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: MNP.multiply(t, [1, 2]), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.List'>"),
    (lambda t, u: MNP.multiply([1, 2], t), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.List'>"),
    (lambda t, u: MNP.multiply(t, (1, 2)), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.Tuple'>"),
    (lambda t, u: MNP.multiply(t, [u]), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.List'>"),
    (lambda t, u: MNP.multiply(t, 2), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.Int'>"),
    (lambda t, u: MNP.arctan2(t, [1, 2]), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.List'>"),
    (lambda t, u: t.ne((1.0, 2.0)), TypeError, "not_equal(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.gt((1.0, 2.0)), TypeError, "greater(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.logical_or((u,)), TypeError, 'Failed calling logical_or with "logical_or(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.logical_or(y=<Tensor, bool>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.logical_or(other=<Tensor, bool>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.logical_xor((u,)), TypeError, "logical_xor(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.bitwise_and((u,)), TypeError, 'Failed calling bitwise_and with "bitwise_and(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.bitwise_and(other=<Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.bitwise_and(other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.greater((u,)), TypeError, "greater(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.less((u,)), TypeError, 'Failed calling less with "less(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.less(other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.less(other=<Number, Tensor, bool>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.greater_equal((u,)), TypeError, 'Failed calling greater_equal with "greater_equal(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.greater_equal(other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.greater_equal(other=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.less_equal((u,)), TypeError, "less_equal(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.not_equal((u,)), TypeError, "not_equal(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.fmax((u,)), TypeError, "For 'Fmax', the 2th input var can not be implicitly converted. Its type is Tuple[]. Only support Tensor or Scalar."),
    (lambda t, u: t.xlogy((u,)), TypeError, 'Failed calling xlogy with "xlogy(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.xlogy(other=<Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.xlogy(other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.xlogy(other=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.subtract((u,)), TypeError, "subtract(): argument 'other' (position 1) must be Tensor, not tuple."),
    (lambda t, u: t.multiply((u,)), TypeError, 'Failed calling Mul with "Mul()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Mul()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: t.divide((u,)), TypeError, 'Failed calling div with "div(Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.div(other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.div(other=<Number, Tensor>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.div(other=<Number>, *, rounding_mode=<None, string>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.div(other=<Number, Tensor>, *, rounding_mode=<None, string>)"\n    match failed because invalid types: (Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.copysign((u,)), TypeError, "integer, float or Tensor is expected, but got <class 'tuple'>"),
    (lambda t, u: P.not_equal(t, (u,)), TypeError, 'Failed calling NotEqual with "NotEqual()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"NotEqual()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.greater_equal(t, (u,)), TypeError, 'Failed calling GreaterEqual with "GreaterEqual()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"GreaterEqual()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.less_equal(t, (u,)), TypeError, 'Failed calling LessEqual with "LessEqual()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"LessEqual()(input=<bool, Number, Tensor>, other=<bool, Number, Tensor>)".'),
    (lambda t, u: P.fmod(t, (u,)), TypeError, 'Failed calling DivMod with "DivMod()(input=Tensor, other=Tuple<Tensor>, rounding_mode=string)".\nThe valid calling should be: \n"DivMod()(input=<Number, Tensor>, other=<Number, Tensor>, rounding_mode=<string>)".'),
    (lambda t, u: P.remainder(t, (u,)), TypeError, 'Failed calling FloorDiv with "FloorDiv()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"FloorDiv()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.floor_divide(t, (u,)), TypeError, 'Failed calling FloorDiv with "FloorDiv()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"FloorDiv()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.true_divide(t, (u,)), TypeError, 'Failed calling Div with "Div()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Div()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.logical_and(t, (u,)), TypeError, 'Failed calling LogicalAnd with "LogicalAnd()(x=Tensor, y=Tuple<Tensor>)".\nThe valid calling should be: \n"LogicalAnd()(x=<bool, Tensor>, y=<bool, Tensor>)".'),
    (lambda t, u: P.maximum((u,), t), TypeError, 'Failed calling Maximum with "Maximum()(input=Tuple<Tensor>, other=Tensor)".\nThe valid calling should be: \n"Maximum()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.xlogy(t, (u,)), TypeError, 'Failed calling Xlogy with "Xlogy()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Xlogy()(input=<Tensor>, other=<Tensor>)".'),
    (lambda t, u: P.fmax(t, (u,)), TypeError, "For 'Fmax', the 2th input var can not be implicitly converted. Its type is Tuple[]. Only support Tensor or Scalar."),
    (lambda t, u: P.isclose(t, (u,)), TypeError, 'Failed calling IsClose with "IsClose(rtol=float, atol=float, equal_nan=bool)(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"IsClose(rtol=<bool, int, float>, atol=<bool, int, float>, equal_nan=<bool>)(input=<Tensor>, other=<Tensor>)".'),
    (lambda t, u: P.subtract(t, (u,)), TypeError, 'Failed calling Sub with "Sub()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Sub()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.multiply(t, (u,)), TypeError, 'Failed calling Mul with "Mul()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Mul()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.divide(t, (u,)), TypeError, 'Failed calling Div with "Div()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Div()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.equal(t, (u,)), TypeError, 'Failed calling Equal with "Equal()(input=Tensor, other=Tuple<Tensor>)".\nThe valid calling should be: \n"Equal()(input=<Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.lt(t, (1.0, 2.0)), TypeError, 'Failed calling less with "less(Tensor, Tuple<float, float>)".\nThe valid calling should be:\n"less(input=<Tensor>, other=<Number>)"\n    match failed because invalid types: (Tensor, Tuple<float, float>)\n                                                 ~~~~~~~~~~~~~~~~~~~~~\n"less(input=<Tensor>, other=<Number, Tensor, bool>)"\n    match failed because invalid types: (Tensor, Tuple<float, float>)\n                                                 ~~~~~~~~~~~~~~~~~~~~~'),
    (lambda t, u: P.atan2((u,), t), TypeError, 'Failed calling Atan2 with "Atan2()(input=Tuple<Tensor>, other=Tensor)".\nThe valid calling should be: \n"Atan2()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.pow((u,), t), TypeError, 'Failed calling Pow with "Pow()(input=Tuple<Tensor>, exponent=Tensor)".\nThe valid calling should be: \n"Pow()(input=<Number, Tensor>, exponent=<Number, Tensor>)".'),
    (lambda t, u: P.pow(t, (1.0, 2.0)), TypeError, 'Failed calling Pow with "Pow()(input=Tensor, exponent=Tuple<float, float>)".\nThe valid calling should be: \n"Pow()(input=<Number, Tensor>, exponent=<Number, Tensor>)".'),
    (lambda t, u: P.minimum(t, (1.0, 2.0)), TypeError, 'Failed calling Minimum with "Minimum()(input=Tensor, other=Tuple<float, float>)".\nThe valid calling should be: \n"Minimum()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: MNP.multiply(t, 2.0), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.Float'>"),
    (lambda t, u: MNP.multiply(t, True), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.Bool'>"),
    (lambda t, u: MNP.multiply(2, t), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.Int'>"),
    (lambda t, u: MNP.arctan2(t, (1, 2)), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.Tuple'>"),
    (lambda t, u: MNP.arctan2(t, 2.0), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.Float'>"),
    (lambda t, u: MNP.arctan2([1, 2], t), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.List'>"),
    (lambda t, u: P.fmax(t, [u]), TypeError, "For 'Fmax', the 2th input var can not be implicitly converted. Its type is Tuple[]. Only support Tensor or Scalar."),
    (lambda t, u: P.fmax((u,), t), TypeError, "For 'Fmax', the 1th input var can not be implicitly converted. Its type is Tuple[]. Only support Tensor or Scalar."),
    (lambda t, u: P.isclose(t, [1.0, 2.0]), TypeError, 'Failed calling IsClose with "IsClose(rtol=float, atol=float, equal_nan=bool)(input=Tensor, other=List<float, float>)".\nThe valid calling should be: \n"IsClose(rtol=<bool, int, float>, atol=<bool, int, float>, equal_nan=<bool>)(input=<Tensor>, other=<Tensor>)".'),
    (lambda t, u: P.fmod(t, [u]), TypeError, 'Failed calling DivMod with "DivMod()(input=Tensor, other=List<Tensor>, rounding_mode=string)".\nThe valid calling should be: \n"DivMod()(input=<Number, Tensor>, other=<Number, Tensor>, rounding_mode=<string>)".'),
    (lambda t, u: P.fmod((u,), t), TypeError, 'Failed calling DivMod with "DivMod()(input=Tuple<Tensor>, other=Tensor, rounding_mode=string)".\nThe valid calling should be: \n"DivMod()(input=<Number, Tensor>, other=<Number, Tensor>, rounding_mode=<string>)".'),
    (lambda t, u: P.remainder((u,), t), TypeError, 'Failed calling FloorDiv with "FloorDiv()(input=Tuple<Tensor>, other=Tensor)".\nThe valid calling should be: \n"FloorDiv()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.logical_and((u,), t), TypeError, 'Failed calling LogicalAnd with "LogicalAnd()(x=Tuple<Tensor>, y=Tensor)".\nThe valid calling should be: \n"LogicalAnd()(x=<bool, Tensor>, y=<bool, Tensor>)".'),
    (lambda t, u: P.logical_or(t, (u,)), TypeError, 'Failed calling LogicalOr with "LogicalOr()(x=Tensor, y=Tuple<Tensor>)".\nThe valid calling should be: \n"LogicalOr()(x=<bool, Tensor>, y=<bool, Tensor>)".'),
    (lambda t, u: P.xlogy((u,), t), TypeError, 'Failed calling Xlogy with "Xlogy()(input=Tuple<Tensor>, other=Tensor)".\nThe valid calling should be: \n"Xlogy()(input=<Tensor>, other=<Tensor>)".'),
    (lambda t, u: P.less((u,), t), TypeError, 'Failed calling less with "less(Tuple<Tensor>, Tensor)".\nThe valid calling should be:\n"less(input=<Tensor>, other=<Number>)"\n    match failed because invalid types: (Tuple<Tensor>, Tensor)\n                                         ~~~~~~~~~~~~~~~~~~~~~~~\n"less(input=<Tensor>, other=<Number, Tensor, bool>)"\n    match failed because invalid types: (Tuple<Tensor>, Tensor)\n                                         ~~~~~~~~~~~~~~~        '),
    (lambda t, u: P.ne((u,), t), TypeError, 'Failed calling NotEqual with "NotEqual()(input=Tuple<Tensor>, other=Tensor)".\nThe valid calling should be: \n"NotEqual()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.true_divide((u,), t), TypeError, 'Failed calling Div with "Div()(input=Tuple<Tensor>, other=Tensor)".\nThe valid calling should be: \n"Div()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: P.maximum(t, (1, 2)), TypeError, 'Failed calling Maximum with "Maximum()(input=Tensor, other=Tuple<int, int>)".\nThe valid calling should be: \n"Maximum()(input=<Number, Tensor>, other=<Number, Tensor>)".'),
    (lambda t, u: t.maximum(other=(u,)), TypeError, "maximum(): argument 'other' must be Tensor but got tuple."),
    (lambda t, u: t.eq(other=(u,)), TypeError, 'Failed calling eq with "eq(other=Tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.eq(other=<Number>)"\n    match failed because invalid types: (other=Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~~~~~~~\n"Tensor.eq(other=<Number, Tensor>)"\n    match failed because invalid types: (other=Tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~~~~~~~'),
    (lambda t, u: t.fmax([u]), TypeError, "For 'Fmax', the 2th input var can not be implicitly converted. Its type is Tuple[]. Only support Tensor or Scalar."),
    (lambda t, u: t.fmax((1.0, 2.0)), TypeError, "For 'Fmax', the 2th input var can not be implicitly converted. Its type is Tuple[Float32*2]. Only support Tensor or Scalar."),
]
# (program, GRAPH_MODE's class and text, @jit: p2g.py)
GRAPH_SEQ = [
    (lambda t, u: t.maximum((u,)), TypeError, "maximum(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.maximum([u]), TypeError, "maximum(): argument 'other' (position 1) must be Tensor, not list of Any."),
    (lambda t, u: t.minimum([u]), TypeError, "minimum(): argument 'other' (position 1) must be Tensor, not list of Any."),
    (lambda t, u: t.minimum((1.0, 2.0)), TypeError, "minimum(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.ne((u,)), TypeError, "ne(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.gt((u,)), TypeError, "gt(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.le((u,)), TypeError, "le(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.div((u,)), TypeError, 'Failed calling div with "div(tuple<Tensor>)".\nThe valid calling should be:\n"Tensor.div(other=<number>)"\n    match failed because invalid types: (tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.div(other=<number,Tensor>)"\n    match failed because invalid types: (tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.div(other=<number>, *, rounding_mode=<str,None>)"\n    match failed because invalid types: (tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~\n"Tensor.div(other=<number,Tensor>, *, rounding_mode=<str,None>)"\n    match failed because invalid types: (tuple<Tensor>)\n                                         ~~~~~~~~~~~~~~~'),
    (lambda t, u: t.true_divide((u,)), TypeError, "true_divide(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: P.maximum(t, (u,)), TypeError, 'Failed calling Maximum with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.minimum(t, [u]), TypeError, 'Failed calling Minimum with "other=List[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.eq(t, (u,)), TypeError, 'Failed calling Equal with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.ne(t, (u,)), TypeError, 'Failed calling NotEqual with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.gt(t, (u,)), TypeError, 'Failed calling Greater with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.ge(t, (u,)), TypeError, 'Failed calling GreaterEqual with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.le(t, (u,)), TypeError, 'Failed calling LessEqual with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<bool, Number, Tensor>, other=<bool, Number, Tensor>".'),
    (lambda t, u: P.greater(t, (u,)), TypeError, 'Failed calling Greater with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.pow(t, (u,)), TypeError, 'Failed calling Pow with "exponent=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, exponent=<Number, Tensor>".'),
    (lambda t, u: P.atan2(t, (u,)), TypeError, 'Failed calling Atan2 with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.maximum(t, (1.0, 2.0)), TypeError, 'Failed calling Maximum with "other=Tuple[Float32*2]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: MNP.arctan2(t, [1, 2]), TypeError, "expect Tensor, but got <class 'mindspore._c_expression.typing.List'>"),
    (lambda t, u: t.ne((1.0, 2.0)), TypeError, "ne(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.gt((1.0, 2.0)), TypeError, "gt(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.logical_xor((u,)), TypeError, "logical_xor(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.greater((u,)), TypeError, "greater(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.less_equal((u,)), TypeError, "less_equal(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.not_equal((u,)), TypeError, "not_equal(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.fmax((u,)), TypeError, 'For Primitive[Fmax], the type of input argument[x2] must be Tensor but got Tuple[Tensor[Float32]].'),
    (lambda t, u: t.subtract((u,)), TypeError, "subtract(): argument 'other' (position 1) must be Tensor, not tuple of Any."),
    (lambda t, u: t.copysign((u,)), TypeError, "integer, float or Tensor is expected, but got <class 'tuple'>"),
    (lambda t, u: P.not_equal(t, (u,)), TypeError, 'Failed calling NotEqual with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.greater_equal(t, (u,)), TypeError, 'Failed calling GreaterEqual with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.less_equal(t, (u,)), TypeError, 'Failed calling LessEqual with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<bool, Number, Tensor>, other=<bool, Number, Tensor>".'),
    (lambda t, u: P.fmod(t, (u,)), TypeError, 'Failed calling DivMod with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>, rounding_mode=<string>".'),
    (lambda t, u: P.remainder(t, (u,)), TypeError, 'Failed calling FloorDiv with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.floor_divide(t, (u,)), TypeError, 'Failed calling FloorDiv with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.true_divide(t, (u,)), TypeError, 'Failed calling Div with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.logical_and(t, (u,)), TypeError, 'Failed calling LogicalAnd with "y=Tuple[Tensor[Float32]]".\nThe valid calling should be: "x=<bool, Tensor>, y=<bool, Tensor>".'),
    (lambda t, u: P.maximum((u,), t), TypeError, 'Failed calling Maximum with "input=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.xlogy(t, (u,)), TypeError, 'Failed calling Xlogy with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Tensor>, other=<Tensor>".'),
    (lambda t, u: P.fmax(t, (u,)), TypeError, 'For Primitive[Fmax], the type of input argument[x2] must be Tensor but got Tuple[Tensor[Float32]].'),
    (lambda t, u: P.isclose(t, (u,)), TypeError, 'Failed calling IsClose with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Tensor>, other=<Tensor>".'),
    (lambda t, u: P.subtract(t, (u,)), TypeError, 'Failed calling Sub with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.multiply(t, (u,)), TypeError, 'Failed calling Mul with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.divide(t, (u,)), TypeError, 'Failed calling Div with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.equal(t, (u,)), TypeError, 'Failed calling Equal with "other=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.atan2((u,), t), TypeError, 'Failed calling Atan2 with "input=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
    (lambda t, u: P.pow((u,), t), TypeError, 'Failed calling Pow with "input=Tuple[Tensor[Float32]]".\nThe valid calling should be: "input=<Number, Tensor>, exponent=<Number, Tensor>".'),
    (lambda t, u: P.pow(t, (1.0, 2.0)), TypeError, 'Failed calling Pow with "exponent=Tuple[Float32*2]".\nThe valid calling should be: "input=<Number, Tensor>, exponent=<Number, Tensor>".'),
    (lambda t, u: P.minimum(t, (1.0, 2.0)), TypeError, 'Failed calling Minimum with "other=Tuple[Float32*2]".\nThe valid calling should be: "input=<Number, Tensor>, other=<Number, Tensor>".'),
]
# GRAPH_MODE refusals whose text ours writes as PyNative's (MindSpore 2.10's class there)
GRAPH_SEQ_CLASS = [
    lambda t, u: t.eq((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.eq((1.0, 2.0)),  # MindSpore 2.10: TypeError
    lambda t, u: t.lt([u]),  # MindSpore 2.10: TypeError
    lambda t, u: t.ge((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.pow((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.mul((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.fmod((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.remainder((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.floor_divide((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.atan2((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.logical_and((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: P.lt(t, (u,)),  # MindSpore 2.10: TypeError
    lambda t, u: P.less(t, (u,)),  # MindSpore 2.10: TypeError
    lambda t, u: MNP.multiply(t, [1, 2]),  # MindSpore 2.10: TypeError
    lambda t, u: MNP.multiply([1, 2], t),  # MindSpore 2.10: TypeError
    lambda t, u: MNP.multiply(t, (1, 2)),  # MindSpore 2.10: TypeError
    lambda t, u: MNP.multiply(t, [u]),  # MindSpore 2.10: TypeError
    lambda t, u: MNP.multiply(t, 2),  # MindSpore 2.10: TypeError
    lambda t, u: t.logical_or((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.bitwise_and((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.less((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.greater_equal((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.xlogy((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.multiply((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: t.divide((u,)),  # MindSpore 2.10: TypeError
    lambda t, u: P.lt(t, (1.0, 2.0)),  # MindSpore 2.10: TypeError
]


def _tu():
    return Tensor(np.array([1.0, 2.0], np.float32)), Tensor(np.array([3.0, 4.0], np.float32))


@pytest.mark.parametrize("i", range(len(PY_SEQ)))
def test_sequence_operand_pynative_text(fake, pynative, i):
    f, cls, text = PY_SEQ[i]
    with pytest.raises(cls) as e:
        f(*_tu())
    assert type(e.value) is cls and str(e.value).split("\n\n")[0] == text


@pytest.mark.parametrize("i", range(len(GRAPH_SEQ)))
def test_sequence_operand_graph_text(fake, pynative, i):
    f, cls, text = GRAPH_SEQ[i]
    with pytest.raises(cls) as e:
        ms.jit(f)(*_tu())
    assert type(e.value) is cls and str(e.value).split("\n\n")[0] == text


@pytest.mark.parametrize("i", range(len(GRAPH_SEQ_CLASS)))
def test_sequence_operand_graph_refused(fake, pynative, i):
    with pytest.raises(TypeError):
        ms.jit(GRAPH_SEQ_CLASS[i])(*_tu())


def test_functional_namespaces_refuse_too(fake, pynative):
    t, u = _tu()  # (ops.functional / ops.function hold the same functions as ops, as MindSpore's do)
    for f in (P.functional.maximum, P.function.maximum, P.functional.ne):
        with pytest.raises(TypeError, match="^Failed calling (Maximum|NotEqual) with"):
            f(t, (u,))


def test_sequences_read_as_tensors_still_answer(fake, pynative):
    t, u = _tu()  # MindSpore 2.10 (p2.py, PyNative): these read the sequence as a tensor
    np.testing.assert_array_equal(t.add((u,)).asnumpy(), [[4.0, 6.0]])
    np.testing.assert_array_equal(t.sub((u,)).asnumpy(), [[-2.0, -2.0]])
    np.testing.assert_array_equal(MNP.add(t, [1, 2]).asnumpy(), [2.0, 4.0])
    np.testing.assert_array_equal(MNP.maximum(t, [1, 2]).asnumpy(), [1.0, 2.0])
    np.testing.assert_array_equal(MNP.power(t, [1, 2]).asnumpy(), [1.0, 4.0])
    np.testing.assert_array_equal(MNP.multiply(t, u).asnumpy(), [3.0, 8.0])
    np.testing.assert_array_equal(t.maximum(2.0).asnumpy(), [2.0, 2.0])


# -- 5. the row-sparse optimizers' indices dtypes ------------------------------------------------------------
def _sparse_call(name, dt):
    var0 = np.ones((3, 2), np.float32)
    g = Tensor(np.full((2, 2), 0.1, np.float32))
    idx = Tensor(np.array([0, 2], dt))

    def p(a, n):
        return ms.Parameter(Tensor(np.array(a, np.float32)), name=n)
    if name in ("FusedSparseFtrl", "SparseApplyFtrl"):
        return getattr(P, name)(0.1, 0.0, 0.0, -0.5)(p(var0, "v"), p(var0, "a"), p(var0 * 0, "l"), g, idx)
    if name == "FusedSparseProximalAdagrad":
        lr, l1, l2 = (Tensor(v, ms.float32) for v in (0.01, 0.0, 0.0))
        return P.FusedSparseProximalAdagrad()(p(var0, "v"), p(var0, "a"), lr, l1, l2, g, idx)
    if name.startswith("SparseApplyAdagrad"):
        op = P.SparseApplyAdagrad(0.1) if name == "SparseApplyAdagrad" else P.SparseApplyAdagradV2(0.1, 1e-6)
        return op(p(var0, "v"), p(var0, "a"), g, idx)
    return getattr(P, name)()(p(var0, "v"), p(var0 * 0, "m"), p(var0 * 0, "vv"), 0.9, 0.999, 0.001, 0.9, 0.999, 1e-8,
                              g, idx)


_TENSOR_INT32 = "{Tensor[Int32]}"
_INT_32_64 = "{Int32, Int64, Tensor[Int32], Tensor[Int64]}"
_PROX_ANY_INT = ("{Tensor[Int16], Tensor[Int32], Tensor[Int64], Tensor[Int8], Tensor[UInt16], Tensor[UInt32], "
                 "Tensor[UInt64], Tensor[UInt8]}")
# (primitive, indices dtype, the types MindSpore 2.10's TypeError lists; None: it runs) - p5.py / p5b.py (PyNative)
SPARSE_CASES = [
    ("FusedSparseFtrl", "int64", _TENSOR_INT32), ("FusedSparseFtrl", "int16", _TENSOR_INT32),
    ("FusedSparseFtrl", "float32", _TENSOR_INT32), ("FusedSparseAdam", "int64", _TENSOR_INT32),
    ("FusedSparseLazyAdam", "int64", _TENSOR_INT32), ("FusedSparseLazyAdam", "uint8", _TENSOR_INT32),
    ("SparseApplyFtrl", "int16", "{Tensor[Int32], Tensor[Int64]}"), ("SparseApplyFtrl", "int64", None),
    ("SparseApplyAdagrad", "int16", _INT_32_64), ("SparseApplyAdagradV2", "float32", _INT_32_64),
    ("SparseApplyAdagrad", "int64", None), ("FusedSparseProximalAdagrad", "float32", _PROX_ANY_INT),
    ("FusedSparseProximalAdagrad", "bool", _PROX_ANY_INT), ("FusedSparseProximalAdagrad", "int64", None),
    ("FusedSparseProximalAdagrad", "int16", None), ("FusedSparseFtrl", "int32", None),
]


@pytest.mark.parametrize("name,dt,types", SPARSE_CASES)
def test_sparse_optimizer_index_dtypes(fake, pynative, name, dt, types):
    if types is None:
        _sparse_call(name, dt)
        return
    got = {"int64": "Int64", "int16": "Int16", "float32": "Float32", "uint8": "UInt8", "bool": "Bool"}[dt]
    with pytest.raises(TypeError) as e:
        _sparse_call(name, dt)
    assert str(e.value) == f"For primitive[{name}], the input argument[indices] must be a type of {types}, but got " \
                           f"Tensor[{got}]."


@pytest.mark.parametrize("dt,shown", [("int8", "Int8"), ("uint8", "UInt8"), ("uint64", "UInt64")])
def test_proximal_adagrad_kernel_select_text(fake, pynative, dt, shown):
    with pytest.raises(TypeError) as e:  # MindSpore 2.10 (p5b.py): its kernel selection's TypeError
        _sparse_call("FusedSparseProximalAdagrad", dt)
    text = str(e.value)
    assert text.startswith("Select CPU operator[FusedSparseProximalAdagrad] fail! Unsupported data type!\n"
                           "The supported data types are input[Float32 Float32 Float32 Float32 Float32 Float32 Int32], "
                           "output[Float32 Float32]; input[Float32 Float32 Float32 Float32 Float32 Float32 Int64], "
                           "output[Float32 Float32]; , but get input[Float32 Float32 Float32 Float32 Float32 Float32 "
                           f"{shown} ] and output[Float32 Float32 ]")


# -- 4. InsertGradientOf: a hook result of another dtype than the input, on the input itself (PyNative) --------
def _h_int(d):
    return 4


def _h_int64(d):
    return Tensor(np.int64(4))


def _h_float64(d):
    return Tensor(np.float64(4.5))


@pytest.mark.parametrize("hook,kind", [(_h_int, "the Python int 4"), (_h_int64, "a Tensor of dtype int64"),
                                       (_h_float64, "a Tensor of dtype float64")])
@pytest.mark.parametrize("use", [lambda ig, x: ig(x), lambda ig, x: ig(x) * 1, lambda ig, x: ig(x) + x])
def test_hook_dtype_on_the_input_itself_refused(fake, pynative, hook, kind, use):
    # MindSpore 2.10 (p4.py): Int64 4 / Float64 4.5 gradients of a Float32 input (the engine's would be Float32),
    # and for ig(t) + t its TypeError "For primitive[Add], the input arguments must have same data type"
    ig = P.InsertGradientOf(hook)
    with pytest.raises(TypeError, match=f"^InsertGradientOf: the hook returned {kind} as the gradient of the float32 "
                                        "input itself"):
        P.grad(lambda x: use(ig, x))(_x())


@pytest.mark.parametrize("hook,want", [(_h_int64, 8.0), (_h_float64, 9.0)])
def test_hook_dtype_through_an_op_answers(fake, pynative, hook, want):
    ig = P.InsertGradientOf(hook)
    g = P.grad(lambda x: ig(x * 2))(_x())  # MindSpore 2.10 (p4b.py): Float32 8.0 / 9.0
    assert g.dtype == ms.float32 and float(g.asnumpy()) == want
    t3 = Tensor(np.array([1.0, 2.0, 3.0], np.float32))  # ig(t3.sum()): [4, 4, 4] / [4.5, 4.5, 4.5] Float32
    np.testing.assert_array_equal(P.grad(lambda x: ig(x.sum()))(t3).asnumpy(), [want / 2] * 3)


# -- 3. numpy's scalars made in a graph are graph numbers ------------------------------------------------------
@ms.jit
def _np_int_shape(x):
    return np.int64(3).shape


@ms.jit
def _np_float_dtype(x):
    return np.float32(1.5).dtype


@ms.jit
def _np_int_bound_shape(x):
    y = np.int64(3)
    return y.shape


@ms.jit
def _np_int_ndim(x):
    return np.int64(3).ndim


@pytest.mark.parametrize("f,text", [(_np_int_shape, "'Int' object has no attribute 'shape'"),
                                    (_np_float_dtype, "'Float' object has no attribute 'dtype'"),
                                    (_np_int_bound_shape, "'Int' object has no attribute 'shape'"),
                                    (_np_int_ndim, "'Int' object has no attribute 'ndim'")])
def test_numpy_scalar_attribute_in_graph(fake, graph_mode, f, text):
    with pytest.raises(AttributeError) as e:  # MindSpore 2.10 (p3b.py, GRAPH_MODE): this AttributeError
        f(_x())
    assert str(e.value) == text


@ms.jit
def _np_int_plus_one(x):
    return np.int64(3) + 1


@ms.jit
def _times_np_float(x):
    return x * np.float64(2.5)


def test_numpy_scalar_arithmetic_in_graph(fake, graph_mode):
    r = _np_int_plus_one(_x())  # MindSpore 2.10 (p3b.py): the int 4, not a Tensor
    assert type(r) is int and r == 4
    r = _times_np_float(Tensor(np.array([1.0, 2.0], np.float32)))  # MindSpore 2.10: Float32 [2.5, 5.0]
    assert r.dtype == ms.float32
    np.testing.assert_array_equal(r.asnumpy(), [2.5, 5.0])

