"""MindSpore leftovers, round 27 (h-left27; benchmarks/mindspore_suite/README.md, "Leftovers, round 27").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv; the probes are
/work/ms_suite_left27/p*.py); stated beside each. mint.bincount / histc have no MindSpore CPU kernel: their
dtypes are those of MindSpore's own shape-inference tests (tests/ut/cpp/ops/test_ops_{histc,bincount}_ext.cc)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

nan, inf = np.nan, np.inf
P, mint = ms.ops, ms.mint


def _t(v, dtype=np.float32):
    return Tensor(np.array(v, dtype))


# -- ops.histc: MindSpore 2.10 CPU's Histogram counts a NaN in bin 0 (it passes the kernel's range test), and with
# min = max takes the range of its scan (p5b.py, p5c.py)
_HISTC = [
    ([nan, 1, 2], 2, 0, 4, [2, 1]),
    ([nan], 4, 0, 4, [1, 0, 0, 0]),
    ([nan], 4, -4, 4, [1, 0, 0, 0]),
    ([nan], 3, 1, 2, [1, 0, 0]),
    ([nan, 5], 4, 5, 9, [2, 0, 0, 0]),
    ([1, nan, 2], 2, 0, 0, [2, 1]),
    ([inf, 1, 2], 2, 0, 4, [1, 1]),
    ([1.5, 2.25], 2, 0, 0, [1, 1]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("v,bins,lo,hi,want", _HISTC)
def test_histc_counts_nan_in_bin_zero(on_real_server, dtype, v, bins, lo, hi, want):
    out = P.histc(_t(v, dtype), bins, lo, hi)
    assert out.dtype == ms.float32 and out.asnumpy().tolist() == want


@pytest.mark.parametrize("v,lo,hi", [([nan, 1, 2], "nan", "2"), ([2, 1, nan], "1", "nan"), ([nan, 1], "nan", "1"),
                                     ([-inf, 1, 2], "-inf", "2"), ([inf, -inf], "-inf", "inf"), ([nan], "nan", "nan"),
                                     ([inf, 1, 2], "1", "inf")])
def test_histc_data_range_not_finite_is_mindspores_value_error(on_real_server, v, lo, hi):
    with pytest.raises(ValueError, match=rf"^For 'Histogram', range of \[{lo}, {hi}\] is not finite\.$"):
        P.histc(_t(v), 2)


@pytest.mark.parametrize("dtype,name", [(np.float64, "Float64"), (np.int64, "Int64"), (np.bool_, "Bool"),
                                        (np.uint8, "UInt8"), (np.int8, "Int8"), (np.int16, "Int16")])
def test_histc_dtypes_as_mindspores_histogram(on_real_server, dtype, name):
    # MindSpore 2.10: float16 / float32 / int32 only (ops.histc and Tensor.histc)
    text = (r"^For primitive\[Histogram\], the input argument\[x\] must be a type of \{Tensor\[Float16\], "
            rf"Tensor\[Float32\], Tensor\[Int32\]\}}, but got Tensor\[{name}\]\.$")
    with pytest.raises(TypeError, match=text):
        P.histc(_t([1, 2], dtype), 4, 0, 4)
    with pytest.raises(TypeError, match=text):
        _t([1, 2], dtype).histc(4, 0, 4)
    assert P.histc(_t([1, 2, 2, 7], np.int32), 3).asnumpy().tolist() == [3, 0, 1]  # MindSpore: Int32 [3, 0, 1]


@pytest.mark.parametrize("args,exc,text", [
    ((0, 0, 4), ValueError, "For 'Histogram', the 'bins' must be int and must > 0, but got '0' with type 'int'."),
    ((True, 0, 4), TypeError, "For 'Histogram', the type of 'bins' should be 'int', but got type 'bool'."),
    ((2.0, 0, 4), TypeError, "For 'Histogram', the type of 'bins' should be 'int', but got type 'float'."),
    ((4, 5, 4), ValueError, "For 'Histogram', the 'min' should be <= max: 4.0, but got 5.0."),
    ((4, "a", 4), TypeError, "For 'histc', parameter 'min' must be an int or float, but got <class 'str'>."),
])
def test_histc_argument_refusals_are_mindspores(args, exc, text):
    with pytest.raises(exc) as info:
        P.histc(_t([1., 2]), *args)
    assert str(info.value) == text


# -- ops.bincount: MindSpore 2.10's counts elements equal to 0 .. L - 1, L = int32(float32(max) + 1) (or minlength);
# others (negative, fractional) are skipped; any dtype; an empty input gives an empty result (p5b.py, p5d.py)
@pytest.mark.parametrize("x,dtype,kw,want", [
    ([], np.int32, {"minlength": 3}, []),
    ([0.5, 1.7, 1], np.float32, {}, [0, 1]),
    ([True, False, True], np.bool_, {}, [1, 2]),
    ([-1, 0, 2], np.int32, {}, [1, 0, 1]),
    ([1, -1], np.int64, {}, [0, 1]),
    ([-1, -3], np.int32, {"minlength": 2}, [0, 0]),
    ([-1, -3], np.int32, {}, []),
    ([0, 1, 1], np.int64, {"minlength": 4}, [1, 2, 0, 0]),
])
def test_bincount_as_mindspores_definition(on_real_server, x, dtype, kw, want):
    out = P.bincount(_t(x, dtype), **kw)
    assert out.dtype == ms.float32 and out.asnumpy().tolist() == want


def test_bincount_weights_and_length_as_mindspore(on_real_server):
    assert P.bincount(_t([0., 1, 1]), _t([1, 2, 3], np.float64)).asnumpy().tolist() == [1, 5]  # MindSpore: Float32
    assert P.bincount(_t([0, 2.5, 2, 2], np.float16), _t([1, 2, 3, 4])).asnumpy().tolist() == [1, 0, 7]
    assert P.bincount(_t([0, 1, 1], np.int32), _t([True, True, False], np.bool_)).asnumpy().tolist() == [1, 1]
    assert P.bincount(_t([16777217], np.int64)).shape == (16777216,)  # float32(16777217) + 1 rounds to 2 ** 24
    g = P.grad(lambda w: (P.bincount(_t([0, 1, 1, -1], np.int32), w) * _t([1., 10.])).sum())(_t([1., 2, 3, 4]))
    assert g.asnumpy().tolist() == [1, 10, 10, 0]  # MindSpore 2.10: [1, 10, 10, 0]


@pytest.mark.parametrize("call,exc,text", [
    (lambda x: P.bincount(x, minlength=True), TypeError,
     "For math function 'bincount', 'minlength' must be int but got <class 'bool'>."),
    (lambda x: P.bincount(x, minlength=2.0), TypeError,
     "For math function 'bincount', 'minlength' must be int but got <class 'float'>."),
    (lambda x: P.bincount(x, minlength=-1), ValueError, "For 'bincount', 'minlength' should be >= 0 but got -1."),
    (lambda x: P.bincount(x, [1., 2.]), TypeError,
     "For math function 'bincount', 'weights' must be Tensor, but got <class 'list'>."),
    (lambda x: P.bincount(x, _t([1., 2., 3.])), ValueError, "for bincount `input` and `weights` must have the same length"),
    (lambda x: P.bincount(x.reshape((1, 2))), ValueError,
     "For math function 'bincount', 'input' should be one-dimensional tensor."),
])
def test_bincount_refusals_are_mindspores(on_real_server, call, exc, text):
    with pytest.raises(exc) as info:
        call(_t([0, 1], np.int32))
    assert str(info.value) == text


# -- mint.histc / mint.bincount (no MindSpore CPU kernel): HistcExt's counts are in the input's dtype (float16 ->
# Float16, test_ops_histc_ext.cc); BincountExt's float32 weights -> Float32, other weights -> Float64
# (test_ops_bincount_ext.cc), unweighted counts integers (its docs' example; int64 as PyTorch's)
def test_mint_histc_and_bincount_dtypes(on_real_server):
    h = mint.histc(_t([0.1, 0.5, 0.5, 2.0, 3.9, 4.0, -1.0], np.float16), bins=4, min=0, max=4)
    assert h.dtype == ms.float16 and h.asnumpy().tolist() == [3, 0, 1, 2]  # torch.histc's counts
    assert mint.histc(_t([1, 2, 1], np.int32), 4, 0, 3).dtype == ms.int32
    x = _t([0, 1, 1, 3], np.int32)
    assert mint.bincount(x).dtype == ms.int64 and mint.bincount(x).asnumpy().tolist() == [1, 2, 0, 1]
    for w, dtype in ((np.float32, ms.float32), (np.float64, ms.float64), (np.float16, ms.float64),
                     (np.int32, ms.float64)):
        out = mint.bincount(x, _t([1, 2, 3, 4], w))
        assert out.dtype == dtype and out.asnumpy().tolist() == [1, 5, 0, 4]


# -- bool int arguments in a compiled graph (@jit; a GRAPH_MODE GradOperation's function): MindSpore 2.10's compiler
# refuses mint.diff's bool n and ops.narrow's bool axis, which eager MindSpore reads as ints, and words some refusals
# its own way (p3j.py, p3r.py)
_X = np.array([[1.0, 4.0, 2.0], [3.0, 0.5, 6.0]], np.float32)
_COMPILED = [
    (lambda t: mint.diff(t, True), "For 'make_range', the 0th input should be a int scalar but got AbstractScalar(Type: "
                                   "Bool, Value: true, Shape: NoShape)"),
    (lambda t: mint.diff(t, False), "For 'make_range', the 0th input should be a int scalar but got AbstractScalar(Type: "
                                    "Bool, Value: false, Shape: NoShape)"),
    (lambda t: P.narrow(t, True, 0, 1), "list_setitem evaluator index should be an int64 number, but got a Bool number."),
    (lambda t: P.diff(t, 1, True), "gather(): argument 'index' (position 2) must be Tensor, not bool.\n"),
    (lambda t: mint.narrow(t, 1, True, 1), 'Failed calling NarrowView with "start=Bool".\nThe valid calling should be: '
                                           '"input=<Tensor>, dim=<int>, start=<Tensor, int>, length=<int>".'),
    (lambda t: P.one_hot(Tensor(np.array([0, 2], np.int32)), True),
     'Failed calling OneHot with "depth=Bool".\nThe valid calling should be: "indices=<Tensor>, depth=<Tensor, int>, '
     'on_value=<Tensor>, off_value=<Tensor>".'),
    (lambda t: P.flatten(t, start_dim=True), "'For 'flatten', both 'start_dim' and 'end_dim' must be int.'"),
    (lambda t: t.repeat(True, 1), "repeat(): argument 'repeats' (position 1) must be tuple of int, not bool.\n"),
    (lambda t: t.repeat(1, True), "repeat(): argument 'repeats' (position 2) must be tuple of int, not bool.\n"),
    (lambda t: t.std(True), "std(): argument 'dim' (position 1) must be tuple of int, not bool.\n"),
]


@pytest.mark.parametrize("k", range(len(_COMPILED)))
def test_bool_int_arguments_compiled_are_mindspores_graph_refusals(on_real_server, k):
    f, text = _COMPILED[k]
    with pytest.raises(TypeError) as info:
        ms.jit(f)(Tensor(_X))
    assert str(info.value) == text


def test_bool_n_of_mint_diff_eager_and_compiled(on_real_server, request):
    # MindSpore 2.10: eager (PyNative, GRAPH_MODE outside a graph) reads n=True as 1, a PyNative grad too;
    # GRAPH_MODE's GradOperation compiles the function and refuses it
    x = Tensor(_X)
    assert mint.diff(x, True).asnumpy().tolist() == [[3.0, -2.0], [-2.5, 5.5]]
    assert P.narrow(x, True, 0, 1).asnumpy().tolist() == [[1.0], [3.0]]
    assert P.grad(lambda t: mint.diff(t, True).sum())(x).asnumpy().tolist() == [[-1, 0, 1], [-1, 0, 1]]
    request.getfixturevalue("graph_mode")
    assert mint.diff(x, True).asnumpy().tolist() == [[3.0, -2.0], [-2.5, 5.5]]
    with pytest.raises(TypeError, match="For 'make_range', the 0th input should be a int scalar"):
        P.grad(lambda t: mint.diff(t, True).sum())(x)


# -- mint.unique through ops.unique's path (one definition): MindSpore 2.10's CPU has no Unique2 / UniqueDim kernel,
# so its values are PyTorch's (torch.unique, sorted; p4.py); ops.unique keeps MindSpore's first-appearance order
@pytest.mark.parametrize("traced", [False, True])
def test_mint_unique_is_ops_uniques_path(on_real_server, traced):
    import torch
    x = np.array([3, 1, 2, 3, 1, 5], np.int32)
    x2 = np.array([[2, 1], [0, 3], [2, 1], [0, 3], [1, 1]], np.int64)
    run = ms.jit if traced else (lambda f: f)
    for a, dim in ((x, None), (x2, 0), (x2, 1), (x2, -1), (x2, None)):
        got = run(lambda t: mint.unique(t, sorted=False, return_inverse=True, return_counts=True, dim=dim))(Tensor(a))
        want = torch.unique(torch.tensor(a), sorted=True, return_inverse=True, return_counts=True, dim=dim)
        for g, w in zip(got, want):
            assert g.asnumpy().tolist() == w.numpy().tolist()
        assert got[0].dtype == Tensor(a).dtype and got[1].dtype == ms.int64 and got[2].dtype == ms.int64
    y, idx = run(P.unique)(Tensor(x))
    assert y.asnumpy().tolist() == [3, 1, 2, 5] and idx.asnumpy().tolist() == [0, 1, 2, 0, 1, 3]  # MindSpore 2.10
    assert idx.dtype == ms.int32
    y, idx = run(P.unique)(Tensor(x2))
    assert y.asnumpy().tolist() == [2, 1, 0, 3] and idx.dtype == ms.int64  # MindSpore 2.10: Int64
    assert idx.asnumpy().tolist() == [[0, 1], [2, 3], [0, 1], [2, 3], [1, 1]]


def test_mint_unique_values_carry_the_gradient_as_ops_unique(on_real_server):
    # both gather input at each distinct value's first appearance: d/dx sum(unique(x) * w) puts w at those positions
    x = Tensor(np.array([3., 1, 2, 3, 1], np.float32))
    w = Tensor(np.array([10., 20, 30], np.float32))
    assert P.grad(lambda t: (mint.unique(t) * w).sum())(x).asnumpy().tolist() == [30, 10, 20, 0, 0]
    assert P.grad(lambda t: (P.unique(t)[0] * w).sum())(x).asnumpy().tolist() == [10, 20, 30, 0, 0]
