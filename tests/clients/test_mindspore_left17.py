"""MindSpore leftovers, round 17 (h-msleft17; benchmarks/mindspore_suite/README.md, "Leftovers, round 17"): every
expected value, dtype and error below is MindSpore 2.10.0's on CPU (its venv, /work/msvenv, run for this task, one
probe a process, `GradOperation(get_all=True[, sens_param=True])` over a Cell), unless a comment says otherwise."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops
from gradserve.ops import operations as P

T, F = True, False


def _b(*v):
    return Tensor(np.array(v))


class _Net(nn.Cell):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def construct(self, *a):
        return self.f(*a)


def _grads(fn, args, sens=None):
    if sens is None:
        return ops.GradOperation(get_all=True)(_Net(fn))(*args)
    return ops.GradOperation(get_all=True, sens_param=True)(_Net(fn))(*args, sens)


_STD_IDX = np.array([[0, 1], [1, 2]], np.int32)
# (function, inputs, sens or None, MindSpore's gradients as (dtype, values)): a bool output carries its sens (or
# True, the default sens) back through reshape / transpose / slice / tile / where; logical ops give False
_BOOL_CASES = {
    "sparse_to_dense": (lambda v: P.SparseToDense()(Tensor(_STD_IDX), v, (3, 3)), [_b(T, T)],
                        Tensor(np.arange(9).reshape(3, 3).astype(bool)), [("Bool", [T, T])]),
    "sparse_to_dense_default_sens": (lambda v: P.SparseToDense()(Tensor(_STD_IDX), v, (3, 3)), [_b(T, F)], None,
                                     [("Bool", [T, T])]),
    "reshape": (lambda v: ops.reshape(v, (3, 1)), [_b(T, F, T)], _b([T], [F], [F]), [("Bool", [T, F, F])]),
    "reshape_default_sens": (lambda v: ops.reshape(v, (3, 1)), [_b(T, F, T)], None, [("Bool", [T, T, T])]),
    "transpose": (lambda v: ops.transpose(v, (1, 0)), [_b([T, F])], _b([F], [T]), [("Bool", [[F, T]])]),
    "expand_dims": (lambda v: ops.expand_dims(v, 0), [_b(T, F, T)], _b([T, T, F]), [("Bool", [T, T, F])]),
    "squeeze": (lambda v: ops.squeeze(v), [_b([T, F])], _b(F, T), [("Bool", [[F, T]])]),
    "tile": (lambda v: ops.tile(v, (2,)), [_b(T, F, T)], _b(T, F, F, F, F, T), [("Bool", [T, F, T])]),
    "slice": (lambda v: v[1:], [_b(T, F, T)], _b(T, T), [("Bool", [F, T, T])]),
    "identity_default_sens": (lambda v: ops.identity(v), [_b(T, F, T)], None, [("Bool", [T, T, T])]),
    "cast_int_and_back": (lambda v: ops.cast(ops.cast(v, ms.int32), ms.bool_), [_b(T, F, T)], _b(T, F, T),
                          [("Bool", [T, F, T])]),
    "where_of_bools": (lambda c, a, b: ops.where(c, a, b), [_b(T, F, T), _b(T, T, F), _b(F, F, T)], _b(T, T, T),
                       [("Bool", [F, F, F]), ("Bool", [T, F, T]), ("Bool", [F, T, F])]),
    "mul_of_bools_cast": (lambda v, w: ops.cast(v * w, ms.float32) * 2.0, [_b(T, F, T), _b(T, T, F)], None,
                          [("Bool", [T, T, F]), ("Bool", [T, F, T])]),
    "cast_float_to_bool": (lambda v: ops.cast(v, ms.bool_), [Tensor(np.array([0.5, 0.0, 2.0], np.float32))], None,
                           [("Float32", [1.0, 1.0, 1.0])]),
    "logical_not": (lambda v: ops.logical_not(v), [_b(T, F, T)], _b(T, F, T), [("Bool", [F, F, F])]),
    "logical_and": (lambda v, w: ops.logical_and(v, w), [_b(T, F, T), _b(F, T, T)], _b(T, F, T),
                    [("Bool", [F, F, F]), ("Bool", [F, F, F])]),
    "sum_of_int_cast": (lambda v: ops.cast(v, ms.int32).sum(), [_b(T, F, T)], None, [("Bool", [T, T, T])]),
}


@pytest.mark.parametrize("mode", ["pynative", "graph"])
@pytest.mark.parametrize("case", sorted(_BOOL_CASES))
def test_gradients_with_respect_to_bool_values_follow_mindspore(fake, case, mode):
    # was: every bool gradient False (the engine dropped a bool output's cotangent), cast_float_to_bool 0.0
    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    fn, args, sens, want = _BOOL_CASES[case]
    got = _grads(fn, args, sens)
    assert [(str(g.dtype), g.asnumpy().tolist()) for g in got] == want


# -- Betainc w.r.t. a and b: tests/clients/test_mindspore_betainc.py (MindSpore gives zeros; we give the derivative)
# -- bijectors ------------------------------------------------------------------------------------------------------
_V = Tensor(np.array([0.5, 1.0, 2.0], np.float32))


def _bij(b, v=_V):
    return [m(v).asnumpy() for m in (b.forward, b.inverse, b.forward_log_jacobian, b.inverse_log_jacobian)]


@pytest.mark.parametrize("make, want", [
    # bijector.Exp() == PowerTransform(power=0): exp / log; MindSpore's CPU exp / log are a few float32 ulps off
    (lambda B: B.Exp(), [[1.6487220525741577, 2.718280076980591, 7.389060020446777], [-0.693147, 0.0, 0.693147],
                         [0.5, 1.0, 2.0], [0.693147, 0.0, -0.693147]]),
    (lambda B: B.PowerTransform(power=0.0), [[1.6487220525741577, 2.718280076980591, 7.389060020446777],
                                             [-0.693147, 0.0, 0.693147], [0.5, 1.0, 2.0], [0.693147, 0.0, -0.693147]]),
    (lambda B: B.PowerTransform(power=2.0), [[1.414209008216858, 1.7320510149002075, 2.2360680103302],
                                             [-0.375, 0.0, 1.5], [-0.346574, -0.549306, -0.804719],
                                             [-0.693147, 0.0, 0.693147]]),
])
def test_exp_and_power_transform_bijectors(fake, make, want):
    from gradserve.nn.probability import bijector as B
    for got, w in zip(_bij(make(B)), want):
        np.testing.assert_allclose(got, w, rtol=2e-6, atol=2e-6)


def test_power_transform_outside_its_domain_and_gradients(fake):
    from gradserve.nn.probability import bijector as B
    b = B.PowerTransform(power=0.5)
    got = _bij(b, Tensor(np.array([-3.0, -1.0, 0.0, 4.0], np.float32)))
    want = [[np.nan, 0.25, 1.0, 9.000004768371582], [np.nan, np.nan, -2.0, 1.9999990463256836],
            [np.nan, -0.693147, 0.0, 1.0986119508743286], [np.nan, np.nan, np.inf, -0.693147]]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=3e-6, atol=3e-6)
    b2, e = B.PowerTransform(power=2.0), B.Exp()
    g = ms.grad(lambda v: (b2.forward(v) + b2.forward_log_jacobian(v)).sum())(_V)
    np.testing.assert_allclose(g.asnumpy(), [0.20710499584674835, 0.24401700496673584, 0.24721400439739227], rtol=1e-5)
    g = ms.grad(lambda v: (e.inverse(v) + e.inverse_log_jacobian(v)).sum())(_V)  # log y - log y: zeros
    np.testing.assert_array_equal(g.asnumpy(), [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="Power must be greater than or equal to zero."):
        B.PowerTransform(power=-1.0)


def test_bijector_reprs_and_parameters(fake):
    from gradserve.nn.probability import bijector as B
    b, e = B.PowerTransform(power=2.0), B.Exp()
    assert (str(b), str(e), b.name, e.name, b.is_constant_jacobian, b.is_injective) == \
        ("PowerTransform(power = 2.0)", "Exp(exp)", "PowerTransform", "Exp", False, True)
    assert e.parameters == {"power": 0.0, "name": "Exp", "param_dict": {"power": 0.0}}


# -- mint.scatter / scatter_add / index_add, ops.fold ---------------------------------------------------------------
_X = np.arange(12, dtype=np.float32).reshape(3, 4)
_IDX = np.array([[0, 1, 0, 2], [2, 0, 1, 1]], np.int64)
_SRC = np.arange(1, 9, dtype=np.float32).reshape(2, 4) * 10


def test_mint_scatter_values_and_gradients(fake):
    from gradserve import mint
    x, idx, src = Tensor(_X), Tensor(_IDX), Tensor(_SRC)
    assert mint.scatter(x, 0, idx, src).asnumpy().tolist() == [[10, 60, 30, 3], [4, 20, 70, 80], [50, 9, 10, 40]]
    assert mint.scatter(x, 0, idx, 7.0).asnumpy().tolist() == [[7, 7, 7, 3], [4, 7, 7, 7], [7, 9, 10, 7]]
    ga, gs = ms.grad(lambda a, s: (mint.scatter(a, 0, idx, s) * Tensor(_X)).sum(), (0, 1))(x, src)
    assert ga.asnumpy().tolist() == [[0, 0, 0, 3], [4, 0, 0, 0], [0, 9, 10, 0]]
    assert gs.asnumpy().tolist() == [[0, 5, 2, 11], [8, 1, 6, 7]]
    neg = ops.scatter(x, 1, Tensor(np.array([[-1, 0], [1, -4]], np.int64)), Tensor(np.array([[5, 6], [7, 8.0]],
                                                                                               np.float32)))
    assert neg.asnumpy().tolist() == [[6, 1, 2, 5], [8, 7, 6, 7], [8, 9, 10, 11]]


@pytest.mark.parametrize("scatter", [lambda x, i, s: ops.scatter(x, 0, i, s),
                                     lambda x, i, s: ops.tensor_scatter_elements(x, i, s, 0),
                                     lambda x, i, s: __import__("gradserve").mint.scatter(x, 0, i, s)])
def test_a_repeated_scatter_index_keeps_the_last_write(fake, scatter):
    # was: the two rows' sum [60, 80, 100, 120] (ops.scatter and tensor_scatter_elements: silently different)
    got = scatter(Tensor(_X), Tensor(np.ones((2, 4), np.int64)), Tensor(_SRC))
    assert got.asnumpy().tolist() == [[0, 1, 2, 3], [50, 60, 70, 80], [8, 9, 10, 11]]


def test_mint_scatter_add_and_index_add(fake):
    from gradserve import mint
    x = Tensor(_X)
    # scatter_add: MindSpore's CPU has no ScatterAddExt kernel: its documented meaning (torch's scatter_add)
    assert mint.scatter_add(x, 0, Tensor(_IDX), Tensor(_SRC)).asnumpy().tolist() == \
        [[10, 61, 32, 3], [4, 25, 76, 87], [58, 9, 10, 51]]
    i32 = Tensor(np.array([0, 2], np.int32))
    assert mint.index_add(x, 0, i32, Tensor(_SRC)).asnumpy().tolist() == \
        [[10, 21, 32, 43], [4, 5, 6, 7], [58, 69, 80, 91]]
    ints = mint.index_add(Tensor(np.arange(6, dtype=np.int32).reshape(2, 3)), 1, Tensor(np.array([2, 2], np.int32)),
                          Tensor(np.ones((2, 2), np.int32)), alpha=3)
    assert (str(ints.dtype), ints.asnumpy().tolist()) == ("Int32", [[0, 1, 8], [3, 4, 11]])
    ga, gs = ms.grad(lambda a, s: (mint.index_add(a, 1, Tensor(np.array([3, 0], np.int32)), s, alpha=2.5) ** 2).sum(),
                     (0, 1))(x, Tensor(np.ones((3, 2), np.float32)))
    assert ga.asnumpy().tolist() == [[5, 2, 4, 11], [13, 10, 12, 19], [21, 18, 20, 27]]
    assert gs.asnumpy().tolist() == [[27.5, 12.5], [47.5, 32.5], [67.5, 52.5]]
    with pytest.raises(TypeError, match=r"For primitive\[IndexAdd\], the input argument\[indices type\] must be a type "
                                        r"of \{Tensor\[Int32\]\}, but got Tensor\[Int64\]."):
        mint.index_add(x, 0, Tensor(np.array([0, 2], np.int64)), Tensor(_SRC), alpha=2)


def test_ops_fold_values_and_gradient(fake):
    size = Tensor(np.array([3, 3], np.int32))
    v = Tensor(np.arange(16, dtype=np.float32).reshape(1, 4, 4))
    assert ops.fold(v, size, 2, 1, 0, 1).asnumpy().tolist() == [[[[0, 5, 5], [10, 30, 20], [10, 25, 15]]]]
    g = ms.grad(lambda t: (ops.fold(t, size, 2, 1, 0, 1) ** 2).sum())(v)
    assert g.asnumpy().tolist() == [[[0, 10, 20, 60], [10, 10, 60, 40], [20, 60, 20, 50], [60, 40, 50, 30]]]
    two = ops.fold(Tensor(np.arange(32, dtype=np.float32).reshape(1, 8, 4)), Tensor(np.array([4, 4], np.int32)),
                   (2, 2), 1, 0, 2)
    assert two.asnumpy().tolist() == [[[[0, 4, 1, 5], [8, 12, 9, 13], [2, 6, 3, 7], [10, 14, 11, 15]],
                                       [[16, 20, 17, 21], [24, 28, 25, 29], [18, 22, 19, 23], [26, 30, 27, 31]]]]
    padded = ops.fold(Tensor(np.arange(36, dtype=np.float32).reshape(1, 4, 9)), Tensor(np.array([2, 2], np.int32)), 2, 1,
                      1, 1)
    assert padded.asnumpy().tolist() == [[[[62, 66], [74, 78]]]]


# -- GRAPH_MODE texts (MindSpore 2.10 CPU, GRAPH_MODE, a Cell or @jit) ----------------------------------------------
class _Split(nn.Cell):
    def construct(self, x):
        out = (x, x * 2)
        return out[-1], out[-2], out[-3]


class _List(nn.Cell):
    def construct(self, x):
        t = [x, x * 2]
        return t[2]


class _Try(nn.Cell):
    def construct(self, a, b):
        try:
            v = a + b
        finally:
            v = a
        return v


_A = Tensor(np.array([1.0, 2.0], np.float32))


def test_graph_mode_index_out_of_range_texts(fake, graph_mode):
    # (MindSpore's own tests/ut/python/graph_syntax/tuple/test_tuple_index_by_negative.py checks the first text)
    with pytest.raises(IndexError, match=r"^TupleGetItem evaluator index should be in range\[-2, 2\), but got -3\.$"):
        _Split()(_A)
    with pytest.raises(IndexError, match=r"^list_getitem evaluator index should be in range\[-2, 2\), but got 2\.$"):
        _List()(_A)


def test_pynative_keeps_pythons_index_error(fake, pynative):
    with pytest.raises(IndexError, match="tuple index out of range"):
        _Split()(_A)


def test_try_is_refused_in_graph_mode_and_jit_but_runs_in_pynative(fake):
    # MindSpore's tests/st/compiler/syntax/simple_expression/test_parse_exception.py checks this text
    ms.set_context(mode=ms.GRAPH_MODE)
    with pytest.raises(RuntimeError, match=r"^Unsupported statement 'Try'\.$"):
        _Try()(_A, _A)

    @ms.jit
    def f(a):
        try:
            v = a * 2
        except ValueError:
            v = a
        return v
    with pytest.raises(RuntimeError, match=r"^Unsupported statement 'Try'\.$"):
        f(_A)
    ms.set_context(mode=ms.PYNATIVE_MODE)
    assert _Try()(_A, _A).asnumpy().tolist() == [1.0, 2.0]


def test_functional_tuple_setitem(fake, graph_mode):
    from gradserve.ops import functional as F

    @ms.jit
    def f(a):
        return F.tuple_setitem((a, a * 2, 3), 1, a * 5)
    got = f(_A)
    assert (got[0].asnumpy().tolist(), got[1].asnumpy().tolist(), got[2]) == ([1.0, 2.0], [5.0, 10.0], 3)

    def g(a):
        t = F.tuple_setitem((a, a * 2), 0, a * a)
        return t[0] + t[1]
    assert ms.grad(ms.jit(g))(_A).asnumpy().tolist() == [4.0, 6.0]
    with pytest.raises(IndexError, match=r"^tuple_setitem evaluator the index: 3 to set out of range: \[-2,1\]\.$"):
        F.tuple_setitem((_A, _A), 3, _A)
