"""MindSpore fidelity, sample seed 63 (benchmarks/mindspore_suite/README.md): in-place writes of GRAPH_MODE inputs
around a traced `if` (tests/st/pi_jit/control_flow/test_control_while_in_for_break's Cells), and ops.pdist.

Expected values: MindSpore 2.10.0 CPU, run for this task in its own venv on the same programs (probes
/work/ms_suite63/probe/p1.py - p10.py), written here as literals.
- The Cells of test_control_while_in_for_break (its loops with `x += 1` / `x -= 1` on a Tensor input, `break`
  in the `for` and in the `while`) through ForwardValueAndGrad(get_all=True): MindSpore's GRAPH_MODE writes the
  input's final value back into the caller's Tensor; before this round gradserve lost a write made inside a side
  of a traced `if` (or after an `if` that returned / broke), so the caller's x kept its value (net H: -3 where
  MindSpore gives 2).
- Which writes land: MindSpore 2.10's GRAPH_MODE writes none of an input's later writes back where an `if`'s
  condition does not read it (and it was not written before) and the `if`'s sides write in place, or its
  condition reads no input and its sides do not read that one.
- pdist: MindSpore 2.10's refusals (p an int or negative, a 3-D / 1-D / int input) and its PdistGrad for 0 < p < 1
  at a pair (or a coordinate) differing by 0: 0 there, where gradserve gave NaN.
"""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, context, ops
from gradserve.nn import Cell, ForwardValueAndGrad
from gradserve.ops import functional as F
from gradserve.ops import operations as P


# -- test_control_while_in_for_break's Cells --------------------------------------------------------------
class _WhileInForBreakX(Cell):
    def __init__(self):
        super().__init__()
        self.add = P.Add()

    def construct(self, x, t):
        out = t
        for _ in range(4):
            out = self.add(out, t)
            x += 1
            while x > 4:
                x -= 1
                out = self.add(out, t)
            if x < 2:
                break
        return out


class _WhileInForBreak(Cell):
    def __init__(self):
        super().__init__()
        self.add = P.Add()

    def construct(self, x):
        out = x
        for i in range(10):
            out = self.add(out, x)
            if i > 5:
                break
            while x > 3:
                out = self.add(out, x)
                x -= 1
        return out


class _ParamBreakInFor(Cell):
    def __init__(self, t):
        super().__init__()
        self.param = Parameter(t, name="p")

    def construct(self, x):
        for _ in range(3):
            self.param += 2
            while x < 5:
                self.param += 1
                x += 1
            if x > 1:
                break
        return x


class _BreakInWhileX(Cell):
    def __init__(self):
        super().__init__()
        self.add = P.Add()

    def construct(self, x):
        out = x
        for i in range(3):
            x -= i
            while x > 1:
                out = self.add(out, x)
                x -= 1
                if x < 0:
                    break
            out = self.add(out, x)
        return out


class _BreakInWhile(Cell):
    def __init__(self):
        super().__init__()
        self.add = P.Add()

    def construct(self, x):
        out = x
        tmp = x
        for _ in range(5):
            out = self.add(out, x)
            while x > 1:
                x -= 1
                out = self.add(out, x)
                if x > 2:
                    break
            x = tmp
        return out


class _BreakInWhileParam(Cell):
    def __init__(self, t):
        super().__init__()
        self.add = P.Add()
        self.param = Parameter(t, name="p")

    def construct(self, x):
        for _ in range(3):
            self.param += 2
            while x < 5:
                self.param += 1
                x += 1
                if self.param > 2:
                    break
            x = self.add(x, self.param)
        return x


class _BreakInWhileNo(Cell):
    def __init__(self):
        super().__init__()
        self.add = P.Add()

    def construct(self, x):
        out = x
        for _ in range(3):
            out = self.add(out, x)
            while x < 5:
                out = self.add(out, x)
                if x > 1:
                    break
                x += 1
        return x


# (Cell, its inputs, GRAPH_MODE: (value, gradients, the caller's inputs after), PYNATIVE_MODE: (value, gradients))
_NETS = [
    ("x", lambda: _WhileInForBreakX(), (6, [1, 2, 3]), (([11, 22, 33]), (0, [11, 11, 11]), (4, [1, 2, 3])),
     ([11, 22, 33], (0, [11, 11, 11]))),
    ("in_for", lambda: _WhileInForBreak(), (9,), (75, (14,), (3,)), (75, (14,))),
    ("in_for_2", lambda: _WhileInForBreak(), (2,), (16, (8,), (2,)), (16, (8,))),
    ("param", lambda: _ParamBreakInFor(2), (-2,), (5, (1,), (5,)), (5, (1,))),
    ("in_while_x", lambda: _BreakInWhileX(), (3,), (7, (6,), (-2,)), (7, (6,))),
    ("in_while_x_7", lambda: _BreakInWhileX(), (7,), (33, (10,), (-2,)), (33, (10,))),
    ("in_while", lambda: _BreakInWhile(), (3,), (13, (8,), (1,)), (33, (16,))),
    ("in_while_5", lambda: _BreakInWhile(), (5,), (29, (10,), (1,)), (50, (11,))),
    ("in_while_param", lambda: _BreakInWhileParam(-4), (1,), (17, (1,), (5,)), (17, (1,))),
    ("in_while_no", lambda: _BreakInWhileNo(), (-3,), (2, (1,), (2,)), (2, (1,))),
]


def _f32s(raw):
    return [Tensor(np.asarray(v, np.float32)) for v in raw]


@pytest.mark.parametrize("name, make, raw, graph, pynative", _NETS, ids=[n[0] for n in _NETS])
def test_while_in_for_break_cells_as_mindspore(fake, name, make, raw, graph, pynative):
    context.set_context(mode=context.GRAPH_MODE)
    inputs = _f32s(raw)
    out, grads = ForwardValueAndGrad(make(), get_all=True)(*inputs)
    np.testing.assert_allclose(out.asnumpy(), graph[0])
    for g, want in zip(grads, graph[1]):
        np.testing.assert_allclose(g.asnumpy(), want)
    for t, want in zip(inputs, graph[2]):  # the input's final value written back, as MindSpore's graph does
        np.testing.assert_allclose(t.asnumpy(), want)
    context.set_context(mode=context.PYNATIVE_MODE)
    inputs = _f32s(raw)
    out, grads = ForwardValueAndGrad(make(), get_all=True)(*inputs)
    np.testing.assert_allclose(out.asnumpy(), pynative[0])
    for g, want in zip(grads, pynative[1]):
        np.testing.assert_allclose(g.asnumpy(), want)
    for t, want in zip(inputs, raw):  # PyNative's Cell leaves the caller's Tensors
        np.testing.assert_allclose(t.asnumpy(), want)


# -- which in-place writes of an input land around an `if` -------------------------------------------------
class _WriteInBoth(Cell):
    def construct(self, x, y):
        if x > 1:
            x += 2
        else:
            x += 1
        return x


class _ReturnThenWrite(Cell):
    def construct(self, x, y):
        if x > 1:
            return x
        x += 1
        return x


class _WriteReturnWrite(Cell):
    def construct(self, x, y):
        x += 1
        if x > 1:
            return x
        x += 1
        return x


class _WriteInIfThenMul(Cell):
    def construct(self, x, y):
        if x > 1:
            x += 2
        x *= 3
        return x


class _TwoIfs(Cell):
    def construct(self, x, y):
        if x > 1:
            x += 2
        if y > 1:
            x += 10
        return x


class _BothWritten(Cell):
    def construct(self, x, y):
        if x + y > 1:
            x += 2
            y -= 1
        return x * y


class _OtherCondWrites(Cell):
    def construct(self, x, y):
        if y > 1:
            x += 2
        else:
            x += 1
        return x


class _OtherCondThenWrite(Cell):
    def construct(self, x, y):
        if y > 1:
            y += 1
        x += 1
        return x


class _WriteUnderReadCond(Cell):
    def construct(self, x, y):
        if x > 1:
            y += 2
        return y


class _OtherCondNoWrites(Cell):
    def construct(self, x, y):
        if y > 1:
            z = y * 2
        else:
            z = y
        x += z
        return x


class _ParamCondReadsX(Cell):
    def __init__(self):
        super().__init__()
        self.p = Parameter(Tensor(5.0, ms.float32), name="p")

    def construct(self, x, y):
        if self.p > 3:
            y = x * 2
        else:
            y = x
        x += 1
        return x + y


class _OtherCondReturnThenWrite(Cell):
    def construct(self, x, y):
        if y > 1:
            return x
        x += 1
        return x


class _WriteThenOtherCondReturn(Cell):
    def construct(self, x, y):
        x += 1
        if y > 1:
            return x
        x += 1
        return x


class _NestedIfs(Cell):
    def construct(self, x, y):
        if x > 1:
            if y > 1:
                x += 2
        return x


_WRITES = [  # (Cell, x, y, MindSpore 2.10 GRAPH_MODE's value, the caller's x and y after)
    (_WriteInBoth, -3, 0, -2, (-2, 0)), (_WriteInBoth, 3, 0, 5, (5, 0)),
    (_ReturnThenWrite, -3, 0, -2, (-2, 0)), (_ReturnThenWrite, 3, 0, 3, (3, 0)),
    (_WriteReturnWrite, -3, 0, -1, (-1, 0)), (_WriteReturnWrite, 3, 0, 4, (4, 0)),
    (_WriteInIfThenMul, 3, 0, 15, (15, 0)), (_WriteInIfThenMul, -3, 0, -9, (-9, 0)),
    (_TwoIfs, 3, 0, 5, (5, 0)), (_TwoIfs, -3, 5, 7, (7, 5)), (_TwoIfs, 3, 5, 15, (15, 5)),
    (_BothWritten, 3, 0, -5, (5, -1)), (_BothWritten, -3, 0, 0, (-3, 0)),
    (_OtherCondWrites, -3, 0, -2, (-3, 0)), (_OtherCondWrites, -3, 5, -1, (-3, 5)),
    (_OtherCondThenWrite, -3, 5, -2, (-3, 6)), (_OtherCondThenWrite, -3, 0, -2, (-3, 0)),
    (_WriteUnderReadCond, 3, 0, 2, (3, 0)),
    (_OtherCondNoWrites, -3, 5, 7, (7, 5)),
    (_ParamCondReadsX, -3, 0, -8, (-2, 0)),
    (_NestedIfs, 3, 5, 5, (5, 5)), (_NestedIfs, 3, 0, 3, (3, 0)),
    (_OtherCondReturnThenWrite, -3, 0, -2, (-3, 0)), (_OtherCondReturnThenWrite, -3, 5, -3, (-3, 5)),
    (_WriteThenOtherCondReturn, -3, 0, -1, (-1, 0)), (_WriteThenOtherCondReturn, -3, 5, -2, (-2, 5)),
]


@pytest.mark.parametrize("cell, x, y, want, after", _WRITES,
                         ids=[f"{c.__name__}-{x}-{y}" for c, x, y, _, _ in _WRITES])
def test_input_writes_around_an_if_as_mindspore(fake, cell, x, y, want, after):
    context.set_context(mode=context.GRAPH_MODE)
    tx, ty = Tensor(float(x), ms.float32), Tensor(float(y), ms.float32)
    np.testing.assert_allclose(cell()(tx, ty).asnumpy(), want)
    np.testing.assert_allclose([tx.asnumpy(), ty.asnumpy()], after)


# -- pdist ----------------------------------------------------------------------------------------------
_X = np.array([[1., 2.5, -1.], [0., 3., 2.], [1., 2.5, -1.]], np.float32)


@pytest.mark.parametrize("call, error, text", [
    (lambda: F.pdist(Tensor(_X), p=-1.0), ValueError, "Pdist p must be a non-negative value, but got `-1.0`."),
    (lambda: ops.Pdist(p=-0.5)(Tensor(_X)), ValueError, "Pdist p must be a non-negative value, but got `-0.5`."),
    (lambda: F.pdist(Tensor(_X), p=1), TypeError, "For 'Pdist', the type of 'p' should be 'float', but got type 'int'."),
    (lambda: F.pdist(Tensor(_X[None])), ValueError, "For primitive[Pdist], the x dim must be equal to 2, but got 3."),
    (lambda: F.pdist(Tensor(_X[0])), ValueError, "For primitive[Pdist], the x dim must be equal to 2, but got 1."),
    (lambda: F.pdist(Tensor(_X.astype(np.int32))), TypeError,
     "For primitive[Pdist], the input argument[x] must be a type of {Tensor[Float16], Tensor[Float32], "
     "Tensor[Float64]}, but got Tensor[Int32]."),
], ids=["negative", "negative_primitive", "int_p", "3d", "1d", "int32"])
def test_pdist_refusals_as_mindspore(call, error, text):
    with pytest.raises(error) as e:
        call()
    assert str(e.value) == text


def test_pdist_refuses_an_empty_row():  # MindSpore 2.10 logs "[input] got empty tensor" and returns unset memory
    with pytest.raises(ValueError, match="got empty tensor"):
        F.pdist(Tensor(np.zeros((3, 0), np.float32)))


_W = np.array([1., 2., 3.], np.float32)


@pytest.mark.parametrize("p, dtype, weighted, want, rtol", [
    (0.5, np.float32, False, [[3.43916, -4.8637, -1.9856], [-6.87831, 9.72741, 3.9712], [3.43916, -4.8637, -1.9856]], 1e-5),
    (0.5, np.float32, True, [[3.43916, -4.8637, -1.9856], [-13.75663, 19.45481, 7.94239],
                             [10.31747, -14.59111, -5.9568]], 1e-5),
    (0.25, np.float32, True, [[31.46383, -52.91564, -13.80291], [-125.8553, 211.66255, 55.21163],
                              [94.39148, -158.74692, -41.40872]], 1e-5),
    (1.5, np.float32, True, [[0.53447, -0.37793, -0.92573], [-2.13789, 1.51172, 3.70294], [1.60342, -1.13379, -2.7772]],
     1e-4),
    (0.5, np.float16, False, [[3.44, -4.863, -1.985], [-6.88, 9.73, 3.97], [3.44, -4.863, -1.985]], 2e-3),
], ids=["p0.5", "p0.5_weighted", "p0.25_weighted", "p1.5_weighted", "p0.5_float16"])
def test_pdist_gradient_where_a_pair_coincides_as_mindspore(fake, p, dtype, weighted, want, rtol):
    # rows 0 and 2 coincide: their pair adds 0 (MindSpore 2.10's PdistGrad), not NaN
    w = Tensor(_W.astype(dtype))
    g = ops.grad(lambda t: (F.pdist(t, p=p) * w).sum() if weighted else F.pdist(t, p=p).sum())(Tensor(_X.astype(dtype)))
    np.testing.assert_allclose(g.asnumpy().astype(np.float64), want, rtol=rtol, atol=rtol)


def test_pdist_gradient_where_a_coordinate_coincides_as_mindspore(fake):
    x = Tensor(np.array([[1., 2., 3.], [1., 5., 3.], [0., 2., 4.]], np.float32))
    np.testing.assert_allclose(F.pdist(x, p=0.5).asnumpy(), [3., 4., 13.928204], rtol=1e-6)
    g = ops.grad(lambda t: F.pdist(t, p=0.5).sum())(x)
    np.testing.assert_allclose(g.asnumpy(), [[2.0, -1.0, -2.0], [3.7320509, 3.1547005, -3.7320509],
                                             [-5.7320509, -2.1547005, 5.7320509]], rtol=1e-6, atol=1e-6)
