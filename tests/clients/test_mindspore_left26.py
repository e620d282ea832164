"""MindSpore leftovers, round 26 (h-left26; benchmarks/mindspore_suite/README.md, "Leftovers, round 26").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left26/p*.py, PyNative and GRAPH_MODE alike); stated beside each."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

nan, inf = np.nan, np.inf
P = ms.ops

# -- 1. NaN in element-wise maximum / minimum: MindSpore 2.10 CPU answers x > y ? x : y (x < y ? x : y), so a NaN in
# y is the answer and a NaN in x alone is not; the gradient gives dout to both where either is NaN (p1.py)
_X = [nan, 2.0, nan, 1.0, 3.0, inf, nan, -inf]
_Y = [2.0, nan, nan, 1.0, 1.0, nan, -inf, nan]
_MAXIMUM = [2.0, nan, nan, 1.0, 3.0, nan, -inf, nan]
_MINIMUM = [2.0, nan, nan, 1.0, 1.0, nan, -inf, nan]
_DX_MAX, _DY_MAX = [1, 1, 1, 0.5, 1, 1, 1, 1], [1, 1, 1, 0.5, 0, 1, 1, 1]
_PAIRS = [
    ("ops.maximum", P.maximum, _MAXIMUM, _DX_MAX, _DY_MAX),
    ("ops.minimum", P.minimum, _MINIMUM, _DY_MAX, _DX_MAX),
    ("mint.maximum", lambda a, b: ms.mint.maximum(a, b), _MAXIMUM, _DX_MAX, _DY_MAX),
    ("mint.minimum", lambda a, b: ms.mint.minimum(a, b), _MINIMUM, _DY_MAX, _DX_MAX),
    ("Tensor.maximum", lambda a, b: a.maximum(b), _MAXIMUM, _DX_MAX, _DY_MAX),
    ("Maximum", lambda a, b: P.Maximum()(a, b), _MAXIMUM, _DX_MAX, _DY_MAX),
    ("Minimum", lambda a, b: P.Minimum()(a, b), _MINIMUM, _DY_MAX, _DX_MAX),
]


@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("name,f,value,dx,dy", _PAIRS, ids=[p[0] for p in _PAIRS])
def test_maximum_picks_y_unless_x_compares_greater(on_real_server, request, mode, dtype, name, f, value, dx, dy):
    request.getfixturevalue(mode)
    x, y = Tensor(np.array(_X, dtype)), Tensor(np.array(_Y, dtype))
    out = f(x, y)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out.asnumpy(), np.array(value, dtype))
    gx, gy = P.GradOperation(get_all=True)(f)(x, y)
    np.testing.assert_array_equal(gx.asnumpy(), np.array(dx, dtype))
    np.testing.assert_array_equal(gy.asnumpy(), np.array(dy, dtype))


def test_maximum_broadcast_and_with_a_number(on_real_server, pynative):
    # MindSpore 2.10 PyNative (p1.py "bc" / "sc" lines)
    a, b = Tensor(np.array([[nan], [2.0]], np.float32)), Tensor(np.array([1.0, nan, 3.0], np.float32))
    np.testing.assert_array_equal(P.maximum(a, b).asnumpy(), np.array([[1, nan, 3], [2, nan, 3]], np.float32))
    np.testing.assert_array_equal(P.maximum(b, a).asnumpy(), np.array([[nan, nan, nan], [2, 2, 3]], np.float32))
    np.testing.assert_array_equal(P.minimum(a, b).asnumpy(), np.array([[1, nan, 3], [1, nan, 2]], np.float32))
    ga, gb = P.GradOperation(get_all=True)(P.maximum)(a, b)
    np.testing.assert_array_equal(ga.asnumpy(), np.array([[3], [2]], np.float32))
    np.testing.assert_array_equal(gb.asnumpy(), np.array([1, 2, 2], np.float32))
    np.testing.assert_array_equal(P.maximum(b, 2.0).asnumpy(), np.array([2, 2, 3], np.float32))
    np.testing.assert_array_equal(P.maximum(2.0, b).asnumpy(), np.array([2, nan, 3], np.float32))
    np.testing.assert_array_equal(P.minimum(b, 2.0).asnumpy(), np.array([1, 2, 2], np.float32))
    np.testing.assert_array_equal(P.maximum(Tensor(np.float32(nan)), b).asnumpy(), np.array([1, nan, 3], np.float32))
    # integers unchanged (a control)
    ti = P.maximum(Tensor(np.array([1, 5], np.int32)), Tensor(np.array([3, 2], np.int32)))
    assert ti.dtype == ms.int32 and ti.asnumpy().tolist() == [3, 5]



class _PairCell(ms.nn.Cell):
    def construct(self, a, b):
        return P.maximum(a, b), P.minimum(a, b)


def test_maximum_in_a_graph_mode_forward(on_real_server, graph_mode):
    # MindSpore 2.10 GRAPH_MODE Cell (p1g.py): [2, nan, nan, 3] and [2, nan, nan, 1] (a forward without a derivative)
    x, y = Tensor(np.array([nan, 2, nan, 1], np.float32)), Tensor(np.array([2, nan, nan, 3], np.float32))
    hi, lo = _PairCell()(x, y)
    np.testing.assert_array_equal(hi.asnumpy(), np.array([2, nan, nan, 3], np.float32))
    np.testing.assert_array_equal(lo.asnumpy(), np.array([2, nan, nan, 1], np.float32))

# -- 2. NaN in sort / argsort / topk: MindSpore 2.10 CPU's Sort is libstdc++'s std::stable_sort by `<` (`>`
# descending), its TopK(sorted=True) nth_element + stable_sort by `>`: a NaN compares neither way, so it stays where
# those steps leave it (p2.py, PyNative; GRAPH_MODE the same values). gradserve put NaN last (NumPy's order).
_ROWS = {
    "a": [1, nan, 3, 2], "b": [nan, 3, 1, 2], "c": [2, nan, 1, nan, 0], "d": [nan, nan, 1],
    "e": [5, 4, nan, 3, 2, 1], "f": [1, inf, nan, -inf, 0], "g": [4, nan, 3, 2, 1, nan, 0, 7, 6, 5, nan, 9]}
# (row, ascending indices, descending indices): MindSpore 2.10 ops.sort
_SORTS = [
    ("a", [0, 1, 3, 2], [2, 3, 0, 1]), ("b", [0, 2, 3, 1], [0, 1, 3, 2]), ("c", [2, 0, 1, 3, 4], [0, 1, 2, 3, 4]),
    ("d", [0, 1, 2], [0, 1, 2]), ("e", [5, 4, 3, 1, 0, 2], [0, 1, 2, 3, 4, 5]), ("f", [0, 1, 2, 3, 4], [1, 0, 2, 4, 3]),
    ("g", [6, 4, 3, 2, 0, 1, 5, 9, 8, 7, 10, 11], [11, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 10])]


@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
@pytest.mark.parametrize("row,up,down", _SORTS, ids=[s[0] for s in _SORTS])
def test_sort_leaves_nan_where_libstdcxx_stable_sort_does(on_real_server, request, mode, row, up, down):
    request.getfixturevalue(mode)
    v = np.array(_ROWS[row], np.float32)
    for descending, want in ((False, up), (True, down)):
        vals, idx = P.sort(Tensor(v), descending=descending)
        np.testing.assert_array_equal(vals.asnumpy(), v[want])
        assert idx.asnumpy().tolist() == want
        assert P.argsort(Tensor(v), descending=descending).asnumpy().tolist() == want
    np.testing.assert_array_equal(P.msort(Tensor(v)).asnumpy(), v[up])
    assert Tensor(v).sort()[1].asnumpy().tolist() == up


def test_sort_gradient_follows_the_order_and_other_forms(on_real_server, pynative):
    # MindSpore 2.10 PyNative (p2.py): GradOperation(sens_param) of sort's values with sens 1..n
    v = np.array(_ROWS["g"], np.float32)
    sens = Tensor(np.arange(1, 13, dtype=np.float32))
    g = P.GradOperation(sens_param=True)(lambda t: P.sort(t)[0])(Tensor(v), sens)
    assert g.asnumpy().tolist() == [5, 6, 4, 3, 2, 7, 1, 10, 9, 8, 11, 12]
    x2 = Tensor(np.array([[1, nan, 3, 2], [nan, 0, nan, 5]], np.float32))
    assert P.sort(x2, axis=0)[1].asnumpy().tolist() == [[0, 0, 0, 0], [1, 1, 1, 1]]
    assert P.sort(x2, axis=0, descending=True)[1].asnumpy().tolist() == [[0, 0, 0, 1], [1, 1, 1, 0]]
    assert P.sort(x2, axis=1)[1].asnumpy().tolist() == [[0, 1, 3, 2], [0, 1, 2, 3]]
    assert P.Sort()(Tensor(np.array([1, nan, 1, nan, 0], np.float32)))[1].asnumpy().tolist() == [0, 1, 3, 4, 2]
    for dt in (np.float64, np.float16):
        assert P.sort(Tensor(np.array([1, nan, 3, 2], dt)))[1].asnumpy().tolist() == [0, 1, 3, 2]
    big = np.arange(100, dtype=np.float32)[::-1].copy()
    big[[3, 50, 77]] = nan
    idx = P.sort(Tensor(big))[1].asnumpy().tolist()
    assert idx[44:53] == [5, 4, 2, 1, 0, 3, 50, 99, 98] and idx[-3:] == [52, 51, 77]
    assert P.sort(Tensor(big), descending=True)[1].asnumpy().tolist() == list(range(100))


# (row, k, largest, indices): MindSpore 2.10 ops.topk / TopK (p2.py)
_TOPKS = [
    ("a", 2, True, [2, 3]), ("a", 3, False, [0, 1, 3]), ("b", 3, False, [0, 2, 3]), ("c", 3, False, [2, 0, 1]),
    ("d", 2, True, [0, 1]), ("f", 2, True, [1, 2]), ("f", 3, False, [0, 1, 2]), ("g", 2, True, [11, 10]),
    ("g", 3, False, [6, 4, 3])]


@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
@pytest.mark.parametrize("row,k,largest,want", _TOPKS)
def test_topk_picks_nan_as_mindspores_cpu_topk(on_real_server, request, mode, row, k, largest, want):
    request.getfixturevalue(mode)
    v = np.array(_ROWS[row], np.float32)
    vals, idx = P.topk(Tensor(v), k, largest=largest)
    np.testing.assert_array_equal(vals.asnumpy(), v[want])
    assert idx.asnumpy().tolist() == want


def test_topk_gradient_and_a_long_row(on_real_server, pynative):
    # MindSpore 2.10 PyNative (p2.py): sens [1, 2] on topk(x, 2)'s values; TopK()(x, 2); 5 of 100 with 3 NaN
    v = Tensor(np.array(_ROWS["f"], np.float32))
    g = P.GradOperation(sens_param=True)(lambda t: P.topk(t, 2)[0])(v, Tensor(np.array([1, 2], np.float32)))
    assert g.asnumpy().tolist() == [0, 1, 2, 0, 0]
    assert P.TopK()(Tensor(np.array(_ROWS["d"], np.float32)), 2)[1].asnumpy().tolist() == [0, 1]
    big = np.arange(100, dtype=np.float32)[::-1].copy()
    big[[3, 50, 77]] = nan
    assert P.topk(Tensor(big), 5)[1].asnumpy().tolist() == [0, 1, 77, 50, 2]


# -- 5. a bool as an int argument, where round 25 left ops and mint together (p5.py, PyNative; GRAPH_MODE the same)
_XB = np.array([[1.0, 4.0, 2.0], [3.0, 0.5, 6.0]], np.float32)
_I = np.array([0, 2], np.int32)
# (call, MindSpore 2.10's TypeError, its first line)
_BOOL_REFUSED = [
    (lambda x: P.diff(x, True), "For 'diff', the type of 'n' must be 'int', but got 'bool'."),
    (lambda x: P.diff(x, n=True), "For 'diff', the type of 'n' must be 'int', but got 'bool'."),
    (lambda x: x.diff(True), "For 'diff', the type of 'n' must be 'int', but got 'bool'."),
    (lambda x: P.diff(x, 1, True), 'Failed calling gather with "gather(Tensor, bool)".'),
    (lambda x: ms.mint.diff(x, 1, True), 'Failed calling Narrow with "Narrow()(input=Tensor, dim=bool, start=int, length=int)".'),
    (lambda x: ms.mint.narrow(x, True, 0, 1),
     'Failed calling NarrowView with "NarrowView()(input=Tensor, dim=bool, start=int, length=int)".'),
    (lambda x: ms.mint.narrow(x, 1, True, 1),
     'Failed calling NarrowView with "NarrowView()(input=Tensor, dim=int, start=bool, length=int)".'),
    (lambda x: ms.mint.narrow(x, 1, 0, True),
     'Failed calling NarrowView with "NarrowView()(input=Tensor, dim=int, start=int, length=bool)".'),
    (lambda x: ms.mint.index_select(x, True, Tensor(_I)),
     'Failed calling IndexSelect with "IndexSelect()(input=Tensor, dim=bool, index=Tensor)".'),
]


@pytest.mark.parametrize("call,text", _BOOL_REFUSED)
def test_a_bool_int_argument_is_refused_as_mindspore(on_real_server, pynative, call, text):
    with pytest.raises(TypeError) as e:
        call(Tensor(_XB))
    assert str(e.value).split("\n")[0] == text


@pytest.mark.parametrize("mode", ["pynative", "graph_mode"])
def test_a_bool_int_argument_mindspore_runs(on_real_server, request, mode):
    request.getfixturevalue(mode)
    x = Tensor(_XB)  # MindSpore 2.10 (p5.py): mint.diff's n, ops.index_select's axis read as 1; mint.max / min(x, True)
    np.testing.assert_array_equal(ms.mint.diff(x, True).asnumpy(), np.array([[3, -2], [-2.5, 5.5]], np.float32))
    np.testing.assert_array_equal(P.index_select(x, True, Tensor(_I)).asnumpy(), np.array([[1, 2], [3, 6]], np.float32))
    # ... as the element-wise maximum / minimum with 1 (Float32), not a reduction over dim 1
    np.testing.assert_array_equal(ms.mint.max(x, True).asnumpy(), np.array([[1, 4, 2], [3, 1, 6]], np.float32))
    np.testing.assert_array_equal(ms.mint.min(x, True).asnumpy(), np.array([[1, 1, 1], [1, 0.5, 1]], np.float32))

    def f(t):
        return ms.mint.max(t, True)[0].sum() + P.index_select(t, True, Tensor(_I)).sum()
    np.testing.assert_array_equal(P.GradOperation()(f)(x).asnumpy(), np.array([[1.5, 1, 2], [1, 0, 1]], np.float32))


# -- 4. what an InsertGradientOf hook returns (p4.py, p4b.py)
def _first_of_two(d):
    return (d, d * 5)


def _five_then_one(d):
    return (d * 5, d)


def _two(d):
    return 2.0


def _two_elements(d):
    return Tensor(np.ones(2, np.float32))


def _grad_through(hook, x):
    ig = P.InsertGradientOf(hook)

    def f(t):
        return ig(t * 2.0) * 3.0
    return P.GradOperation()(f)(x)


def test_insert_gradient_of_takes_a_tuples_first_element_in_pynative(on_real_server, pynative):
    # MindSpore 2.10 PyNative: (d, 5 d) -> d ([6, 6, 6] through x * 2 * 3), (5 d, d) -> 5 d ([30, 30, 30]);
    # gradserve refused the tuple (ValueError)
    x = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    assert _grad_through(_first_of_two, x).asnumpy().tolist() == [6.0, 6.0, 6.0]
    assert _grad_through(_five_then_one, x).asnumpy().tolist() == [30.0, 30.0, 30.0]


@pytest.mark.parametrize("hook,shape", [(_two, r"\(\)"), (_two_elements, r"\(2,\)")])
def test_insert_gradient_of_of_another_shape_is_refused_clearly(on_real_server, pynative, hook, shape):
    # MindSpore 2.10 PyNative passes 2.0 on as a 0-d gradient (4.0 for x of shape (3,)), ones(2) as a (2,) one
    # ([2, 2]); gradserve's gradients have their input's shape: refused, naming the shapes (was the server's
    # ShapeError "reduce_to: cannot broadcast [3] to []")
    with pytest.raises(ValueError, match=rf"InsertGradientOf: the hook returned a gradient of shape {shape} for one "
                                         r"of shape \(3,\)"):
        _grad_through(hook, Tensor(np.array([1.0, 2.0, 3.0], np.float32)))
