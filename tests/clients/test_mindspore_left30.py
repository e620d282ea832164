"""MindSpore leftovers, round 30 (h-left30; benchmarks/mindspore_suite/README.md, "Leftovers, round 30").

Expected values and texts: MindSpore 2.10 (CPU, PyNative unless said), run for this task in its own venv
(/work/msvenv; the probes are /work/ms_suite_left30/probe/p1.py-p4.py, p4.py the @jit graph forms)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

P = ms.ops


def _tu():
    return Tensor(np.array([1.0, 2.0], np.float32)), Tensor(np.array([3.0, 4.0], np.float32))


def _prim_text(prim, other, valid="Number, Tensor"):
    return (f'Failed calling {prim} with "{prim}()(input=Tensor, other={other})".\nThe valid calling should be: \n'
            f'"{prim}()(input=<{valid}>, other=<{valid}>)".')


# (program, primitive, the sequence's type as MindSpore 2.10 writes it): its TypeError's text, verbatim
PRIM_CASES = [
    (lambda t, u: t * (u,), "Mul", "Tuple<Tensor>"), (lambda t, u: (u,) * t, "Mul", "Tuple<Tensor>"),
    (lambda t, u: t * [u], "Mul", "List<Tensor>"), (lambda t, u: t * (3.0, 4.0), "Mul", "Tuple<float, float>"),
    (lambda t, u: (3.0, 4.0) * t, "Mul", "Tuple<float, float>"), (lambda t, u: t * (u, u), "Mul", "Tuple<Tensor, Tensor>"),
    (lambda t, u: t * (u, 1.0), "Mul", "Tuple<Tensor, float>"), (lambda t, u: (u,) / t, "Mul", "Tuple<Tensor>"),
    (lambda t, u: t > (u,), "Greater", "Tuple<Tensor>"), (lambda t, u: (u,) < t, "Greater", "Tuple<Tensor>"),
    (lambda t, u: t > (0.0, 3.0), "Greater", "Tuple<float, float>"),
    (lambda t, u: t >= (u,), "GreaterEqual", "Tuple<Tensor>"),
    (lambda t, u: t >= (1.0, 3.0), "GreaterEqual", "Tuple<float, float>"),
    (lambda t, u: P.add(t, (u,)), "Add", "Tuple<Tensor>"), (lambda t, u: P.add(t, [u]), "Add", "List<Tensor>"),
    (lambda t, u: P.add(t, (3.0, 4.0)), "Add", "Tuple<float, float>"),
    (lambda t, u: P.sub(t, (u,)), "Sub", "Tuple<Tensor>"), (lambda t, u: P.div(t, (u,)), "Div", "Tuple<Tensor>"),
    (lambda t, u: P.mul(t, (u,)), "Mul", "Tuple<Tensor>"), (lambda t, u: P.mul(t, [3.0, 4.0]), "Mul", "List<float, float>"),
    (lambda t, u: t.mul((u,)), "Mul", "Tuple<Tensor>"), (lambda t, u: t.mul([u]), "Mul", "List<Tensor>"),
    (lambda t, u: t.mul((3.0, 4.0)), "Mul", "Tuple<float, float>"),
]


@pytest.mark.parametrize("i", range(len(PRIM_CASES)))
def test_sequence_operand_refused_with_the_primitive_text(fake, i):
    f, prim, other = PRIM_CASES[i]
    with pytest.raises(TypeError) as e:
        f(*_tu())
    assert str(e.value) == _prim_text(prim, other)


@pytest.mark.parametrize("f,other", [(lambda t, u: t <= (u,), "Tuple<Tensor>"),
                                     (lambda t, u: t <= [1.0, 1.0], "List<float, float>")])
def test_less_equal_sequence_operand_text(fake, f, other):
    with pytest.raises(TypeError) as e:
        f(*_tu())
    assert str(e.value) == _prim_text("LessEqual", other, "bool, Number, Tensor")


def _overload_text(name, given, forms, under):
    """MindSpore 2.10's overload-resolution text (its spacing: the underline starts at the sequence's column)."""
    lines = [f'Failed calling {name} with "{name}({given})".', "The valid calling should be:"]
    for form in forms:
        lines += [f'"{form}"', f"    match failed because invalid types: ({given})", under]
    return "\n".join(lines)


_LESS = ["less(input=<Tensor>, other=<Number>)", "less(input=<Tensor>, other=<Number, Tensor, bool>)"]
_DIV = ["Tensor.div(other=<Number>)", "Tensor.div(other=<Number, Tensor>)",
        "Tensor.div(other=<Number>, *, rounding_mode=<None, string>)",
        "Tensor.div(other=<Number, Tensor>, *, rounding_mode=<None, string>)"]
_POW = ["Tensor.pow(exponent=<Number>)", "Tensor.pow(exponent=<Number, Tensor>)"]
_MOD = ["Tensor.__mod__(other=<Tensor>)", "Tensor.__mod__(other=<Number>)"]


@pytest.mark.parametrize("f,name,given,forms,under", [
    (lambda t, u: t < (u,), "less", "Tensor, Tuple<Tensor>", _LESS, " " * 49 + "~" * 15),
    (lambda t, u: t < [u], "less", "Tensor, List<Tensor>", _LESS, " " * 49 + "~" * 14),
    (lambda t, u: t < (3.0, 1.0), "less", "Tensor, Tuple<float, float>", _LESS, " " * 49 + "~" * 21),
    (lambda t, u: t / (u,), "div", "Tuple<Tensor>", _DIV, " " * 41 + "~" * 15),
    (lambda t, u: t / (2.0, 4.0), "div", "Tuple<float, float>", _DIV, " " * 41 + "~" * 21),
    (lambda t, u: t ** (u,), "pow", "Tuple<Tensor>", _POW, " " * 41 + "~" * 15),
    (lambda t, u: t ** (2.0, 3.0), "pow", "Tuple<float, float>", _POW, " " * 41 + "~" * 21),
    (lambda t, u: t % (u,), "__mod__", "Tuple<Tensor>", _MOD, " " * 41 + "~" * 15),
])
def test_sequence_operand_refused_with_the_overload_text(fake, f, name, given, forms, under):
    with pytest.raises(TypeError) as e:
        f(*_tu())
    assert str(e.value) == _overload_text(name, given, forms, under)


@pytest.mark.parametrize("f,expected", [
    (lambda t, u: t == (u,), False), (lambda t, u: t != (u,), True), (lambda t, u: t == (1.0, 2.0), False),
    (lambda t, u: t == [t], False), (lambda t, u: t != [1.0, 2.0], True), (lambda t, u: (1.0, 2.0) == t, False)])
def test_equality_with_a_sequence_is_a_python_bool(fake, f, expected):
    out = f(*_tu())  # MindSpore 2.10: a bool, the tensor never equal to a sequence (t == (1.0, 2.0) of [1, 2] too)
    assert type(out) is bool and out is expected


@pytest.mark.parametrize("f,expected,shape", [
    (lambda t, u: t + (u,), [4.0, 6.0], (1, 2)), (lambda t, u: t + [u], [4.0, 6.0], (1, 2)),
    (lambda t, u: t - (u,), [-2.0, -2.0], (1, 2)), (lambda t, u: (u,) - t, [2.0, 2.0], (1, 2)),
    (lambda t, u: (u,) ** t, [3.0, 16.0], (1, 2)), (lambda t, u: t // (u,), [0.0, 0.0], (1, 2)),
    (lambda t, u: t + [3.0, 4.0], [4.0, 6.0], (2,)), (lambda t, u: t.add((u,)), [4.0, 6.0], (1, 2)),
    (lambda t, u: t.add([u]), [4.0, 6.0], (1, 2)), (lambda t, u: t.add((3.0, 4.0)), [4.0, 6.0], (2,)),
    (lambda t, u: t.sub((u,)), [-2.0, -2.0], (1, 2))])
def test_sequence_operands_mindspore_reads_as_a_tensor_still_answer(fake, f, expected, shape):
    out = f(*_tu())  # MindSpore 2.10's values and shapes
    assert out.shape == shape and out.dtype == ms.float32
    np.testing.assert_allclose(out.asnumpy().reshape(-1), expected)


def _g_mul(a, b):
    return a * (b,)


def _g_mul_num(a, b):
    return a * (3.0, 4.0)


def _g_add(a, b):
    return a + (b,)


def _g_eq(a, b):
    return a == (b,)


@pytest.mark.parametrize("f,expected", [(_g_mul, [[3.0, 8.0]]), (_g_mul_num, [3.0, 8.0]), (_g_add, [[4.0, 6.0]])])
def test_graph_mode_multiplies_by_a_sequence(fake, f, expected):
    out = ms.jit(f)(*_tu())  # MindSpore 2.10 in a @jit graph: `t * (u,)` answers (PyNative refuses it)
    np.testing.assert_allclose(out.asnumpy(), expected)


def test_graph_mode_equality_with_a_sequence_is_false(fake):
    assert ms.jit(_g_eq)(*_tu()) is False  # MindSpore 2.10 (GRAPH_MODE, p4.py): False


def _g_lt(a, b):
    return a < (b,)


def _g_ge(a, b):
    return a >= (b,)


def _g_ops_mul(a, b):
    return P.mul(a, (b,))


def _g_method_mul(a, b):
    return a.mul((b,))


@pytest.mark.parametrize("f,start", [
    (_g_lt, 'Failed calling less with "less(Tensor, Tuple<Tensor>)".'),
    (_g_ge, 'Failed calling GreaterEqual with "GreaterEqual()(input=Tensor, other=Tuple<Tensor>)".'),
    (_g_ops_mul, "Failed calling Mul with "), (_g_method_mul, "Failed calling Mul with ")])
def test_graph_mode_sequence_operand_refused(fake, f, start):
    with pytest.raises(TypeError) as e:  # MindSpore 2.10 (GRAPH_MODE, p4.py): the same TypeError (ops.mul /
        ms.jit(f)(*_tu())  # Tensor.mul there write 'other=Tuple[Tensor[Float32]]')
    assert str(e.value).startswith(start)
