"""Sample seed 69 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 69").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (/work/ms_suite69/probe/p*.py, each
printed on both sides and diffed); the literals below are its outputs unless a comment says otherwise."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, jit, nn, ops
from gradserve.ops.operations import _grad_ops as G

_X = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)


@pytest.mark.parametrize("fmt, shape, want", [
    # MindSpore 2.10's BiasAddGrad of np.arange(prod(shape)).reshape(shape), float32
    ("NCHW", (2, 3), [3, 5, 7]),
    ("NCHW", (2, 3, 4), [60, 92, 124]),
    ("NCHW", (2, 3, 4, 5), [1580, 2380, 3180]),
    ("NCHW", (2, 3, 2, 2, 2), [248, 376, 504]),
    ("NHWC", (2, 3), [3, 5, 7]),
    ("NHWC", (2, 3, 4), [60, 66, 72, 78]),
    ("NHWC", (2, 3, 4, 5), [1380, 1404, 1428, 1452, 1476]),
    ("NHWC", (2, 3, 2, 2, 2), [552, 576]),
    ("NCDHW", (2, 3, 2, 2, 2), [248, 376, 504]),
    ("nchw", (2, 3, 4, 5), [1580, 2380, 3180]),
])
def test_bias_add_grad_sums_all_but_the_channel_axis(fmt, shape, want):
    got = G.BiasAddGrad(data_format=fmt)(Tensor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape)))
    assert got.dtype == ms.float32
    np.testing.assert_array_equal(got.asnumpy(), want)


@pytest.mark.parametrize("dt", [np.float16, np.float64, np.int8, np.int32, np.int64, np.uint8, np.uint64,
                                np.complex64])
def test_bias_add_grad_keeps_the_dtype(dt):
    got = G.BiasAddGrad()(Tensor((_X % 7).astype(dt)))
    assert got.asnumpy().dtype == dt
    np.testing.assert_array_equal(got.asnumpy(), np.array([117, 119, 121]).astype(dt))


def test_bias_add_grad_float16_sums_wider_and_integers_wrap():
    # MindSpore 2.10: 3000 x float16(0.1) is 300 (a float16 running sum stalls near 256); [6e4, 6e4, -6e4] is 6e4
    # (no inf on the way); 200 ones in int8 wrap to -56
    got = G.BiasAddGrad()(Tensor(np.full((3000, 1), 0.1, np.float16)))
    assert got.dtype == ms.float16 and got.asnumpy().tolist() == [300.0]
    assert G.BiasAddGrad()(Tensor(np.array([[6e4], [6e4], [-6e4]], np.float16))).asnumpy().tolist() == [60000.0]
    assert G.BiasAddGrad()(Tensor(np.ones((200, 2), np.int8))).asnumpy().tolist() == [-56, -56]
    got = G.BiasAddGrad()(Tensor(np.array([[np.nan, 1.0], [np.inf, -np.inf]], np.float32))).asnumpy()
    assert np.isnan(got[0]) and got[1] == -np.inf
    assert G.BiasAddGrad()(Tensor(np.zeros((0, 3), np.float32))).asnumpy().tolist() == [0, 0, 0]


@pytest.mark.parametrize("make, call, err, text", [
    (lambda: G.BiasAddGrad(), lambda b: b(Tensor(np.ones(6, np.float32))), ValueError,
     "For primitive[BiasAddGrad], the rank of input_x must be in [2,5], but got 1."),
    (lambda: G.BiasAddGrad(), lambda b: b(Tensor(np.ones((1, 2, 1, 2, 1, 2), np.float32))), ValueError,
     "For primitive[BiasAddGrad], the rank of input_x must be in [2,5], but got 6."),
    (lambda: G.BiasAddGrad("NCDHW"), lambda b: b(Tensor(_X)), ValueError,
     "For 'BiasAddGrad', NCDHW format only supports 5-D input on CPU, but got a 4-D input."),
    (lambda: G.BiasAddGrad(data_format="NWHC"), None, ValueError,
     "Failed to convert the value \"NWHC\" of input 'data_format' of 'BiasAddGrad' to enum."),
    (lambda: G.BiasAddGrad(data_format=1), None, TypeError,
     "For 'BiasAddGrad', the input 'data_format' should be a str, but got <class 'int'>."),
    (lambda: G.BiasAddGrad(), lambda b: b([1.0, 2.0]), TypeError,
     'Failed calling BiasAddGrad with "BiasAddGrad(data_format=string)(dout=List<float, float>)".'),
    (lambda: G.BiasAddGrad(data_format=None), lambda b: b(Tensor(_X)), TypeError,
     'Failed calling BiasAddGrad with "BiasAddGrad(data_format=string)(dout=Tensor)".'),
    (lambda: G.BiasAddGrad(), lambda b: b(Tensor(np.ones((2, 3), np.bool_))), TypeError,
     "Select CPU operator[BiasAddGrad] fail! Unsupported data type!"),
])
def test_bias_add_grad_refusals(make, call, err, text):
    with pytest.raises(err) as e:
        call(make())
    assert str(e.value).startswith(text)


def test_bias_add_grad_gradient_and_graph_mode(fake, graph_mode):
    # MindSpore 2.10: grad of sum(BiasAddGrad(t) ** 2) is 2 * BiasAddGrad(t) along the channel axis
    def f(t):
        return (G.BiasAddGrad()(t) ** 2).sum()
    got = ops.grad(f)(Tensor(_X)).asnumpy()
    assert got.shape == (2, 3, 4, 5)
    np.testing.assert_array_equal(got[:, :, 0, 0], [[3160, 4760, 6360]] * 2)

    class Net(nn.Cell):
        def __init__(self, fmt):
            super().__init__()
            self.b = G.BiasAddGrad(data_format=fmt)

        def construct(self, t):
            return self.b(t) * 2
    np.testing.assert_array_equal(Net("NCHW")(Tensor(_X)).asnumpy(), [3160, 4760, 6360])
    np.testing.assert_array_equal(Net("NHWC")(Tensor(_X)).asnumpy(), [2760, 2808, 2856, 2904, 2952])
    # NHWC's gradient: MindSpore 2.10 refuses it (a reshape error of its own bprop); the math is the weights
    # broadcast along the last axis
    w = Tensor(np.arange(5, dtype=np.float32))
    got = ops.grad(lambda t: (G.BiasAddGrad(data_format="NHWC")(t) * w).sum())(Tensor(_X)).asnumpy()
    np.testing.assert_array_equal(got, np.broadcast_to(np.arange(5.0), (2, 3, 4, 5)))


def test_bias_add_grad_under_vmap(fake):
    def g(t):
        return G.BiasAddGrad()(t)
    # MindSpore 2.10's values
    np.testing.assert_array_equal(ops.vmap(g, in_axes=0)(Tensor(_X)).asnumpy().ravel()[:8],
                                  [330, 405, 480, 555, 1230, 1305, 1380, 1455])
    assert ops.vmap(g, in_axes=3)(Tensor(_X)).shape == (5, 3)
    x16 = Tensor(np.arange(1, 17).reshape(2, 2, 2, 2).astype(np.float16))  # its own test's, float16
    np.testing.assert_array_equal(ops.vmap(g, in_axes=0)(x16).asnumpy(), [[14, 22], [46, 54]])
    # NHWC: MindSpore 2.10's vmap rule gives per-example totals of shape (2,) here; each example's own
    # BiasAddGrad (the math, NumPy's sum) is (2, 5)
    got = ops.vmap(lambda t: G.BiasAddGrad(data_format="NHWC")(t), in_axes=0)(Tensor(_X)).asnumpy()
    np.testing.assert_array_equal(got, _X.sum(axis=(1, 2)))


def test_bias_add_takes_a_lower_case_format_and_refuses_ncdhw_below_5d():
    y = Tensor(np.zeros((2, 3, 3), np.float32))
    b = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    got = ops.BiasAdd(data_format="nhwc")(y, b)  # MindSpore 2.10: [1, 2, 3] along the last axis
    np.testing.assert_array_equal(got.asnumpy()[0, 0], [1, 2, 3])
    with pytest.raises(ValueError, match=r"^For 'BiasAdd', NCDHW format only supports 5-D input on CPU, but got a "
                                         r"4-D input\.$"):
        ops.BiasAdd(data_format="NCDHW")(Tensor(np.zeros((2, 3, 3, 3), np.float32)), b)
    with pytest.raises(ValueError, match="Failed to convert the value \"NWHC\" of input 'data_format' of 'BiasAdd'"):
        ops.BiasAdd(data_format="NWHC")


def test_tensor_expand_takes_separate_sizes():
    x = Tensor(np.array([[1], [2], [3]]), ms.float32)
    want = np.repeat([[1.0], [2.0], [3.0]], 4, axis=1)  # MindSpore 2.10: x.expand(3, 4) as x.expand((3, 4))
    np.testing.assert_array_equal(x.expand(3, 4).asnumpy(), want)
    np.testing.assert_array_equal(x.expand((3, 4)).asnumpy(), want)


_NAN = float("nan")


def _t(v, dt=ms.float32):
    return Tensor(np.array(v), dt)


@pytest.mark.parametrize("args, want_max, want_min, dtype", [
    # MindSpore 2.10 (@jit, PyNative and GRAPH_MODE alike): a fold of Maximum / Minimum
    ((_t(_NAN), _t(1.0)), 1.0, 1.0, ms.float32),
    ((_t(1.0), _t(_NAN)), _NAN, _NAN, ms.float32),
    ((_t(3, ms.int32), _t(2.5)), 3.0, 2.5, ms.float32),
    ((_t(3, ms.int32), _t(2.5, ms.float16)), 3.0, 2.5, ms.float16),
    ((_t(1.0), _t(1.0, ms.float64)), 1.0, 1.0, ms.float64),
    ((_t(1.0), _t(_NAN), _t(2.0)), 2.0, 2.0, ms.float32),
    ((_t(1, ms.int32), _t(0.5), _t(2, ms.int64)), 2.0, 0.5, ms.float32),
])
def test_graph_max_min_of_tensors_fold_maximum(fake, args, want_max, want_min, dtype):
    @jit
    def f(*xs):
        return max(*xs), min(*xs)

    @jit
    def g(xs):
        return max(xs), min(xs)
    for hi, lo in (f(*args), g(list(args))):
        assert hi.dtype == dtype and lo.dtype == dtype
        np.testing.assert_array_equal(hi.asnumpy(), want_max)
        np.testing.assert_array_equal(lo.asnumpy(), want_min)


def test_graph_max_min_in_a_cell_and_their_gradient(fake, graph_mode):
    class N(nn.Cell):
        def construct(self, x, y):
            return max(x, y) * 2, min(x, y)
    hi, lo = N()(_t(1.0), _t(_NAN))  # MindSpore 2.10 GRAPH_MODE: (nan, nan); PyNative's Python pick: (2, 1)
    assert np.isnan(hi.asnumpy()) and np.isnan(lo.asnumpy())
    hi, lo = N()(_t(4, ms.int32), _t(1.5))
    assert hi.dtype == ms.float32 and hi.asnumpy() == 8.0 and lo.asnumpy() == 1.5

    @jit
    def f(x, y):
        return max(x, y), min(x, y)
    # MindSpore 2.10: (0, 1) apart, a tie split (0.5, 0.5) for max and min alike
    for k, args, want in ((0, (1.0, 2.0), [0.0, 1.0]), (0, (2.0, 2.0), [0.5, 0.5]), (1, (2.0, 2.0), [0.5, 0.5])):
        got = ops.grad(lambda x, y: f(x, y)[k], (0, 1))(_t(args[0]), _t(args[1]))
        assert [float(g.asnumpy()) for g in got] == want


def test_graph_max_min_with_a_number_stays_a_pick(fake):
    @jit
    def f(x):
        return max(x, 2), min(x, 2)
    hi, lo = f(_t(3.0))  # MindSpore 2.10: (Tensor 3.0, int 2)
    assert isinstance(hi, Tensor) and hi.asnumpy() == 3.0 and lo == 2 and not isinstance(lo, Tensor)


class _Enumerate(nn.Cell):
    def __init__(self, src, start=0):
        super().__init__()
        self.src, self.start = src, start

    def construct(self, x):
        out = ()
        for i, _ in enumerate(self.src, self.start):
            out = out + (i,)
        return out


@pytest.mark.parametrize("src, start, text", [
    # MindSpore 2.10 GRAPH_MODE's TypeErrors
    (2023, 0, "For 'enumerate', the 'first input' should be tuple or list or tensor, but got <class 'int'>."),
    (2.5, 0, "For 'enumerate', the 'first input' should be tuple or list or tensor, but got <class 'float'>."),
    ((1, 2), 1.2, "For 'enumerate', the 'start' should be a const int number, but got 1.2."),
    ((1, 2), Tensor(1), "For 'enumerate', the 'start' should be a const int number, but got Tensor("),
])
def test_graph_enumerate_refusals(fake, graph_mode, src, start, text):
    with pytest.raises(TypeError) as e:
        _Enumerate(src, start)(Tensor(np.ones(2, np.float32)))
    assert str(e.value).startswith(text)


@pytest.mark.parametrize("src, start, want", [
    # MindSpore 2.10 GRAPH_MODE: a str, a dict and a NumPy array are enumerated; a NumPy int start is an int
    ("ab", 0, (0, 1)), ({"a": 1, "b": 2}, 0, (0, 1)), ((1, 2), -3, (-3, -2)), ([4, 5, 6], 2, (2, 3, 4)),
    ((1, 2), np.int64(3), (3, 4)), (np.array([1, 2]), 0, (0, 1)),
])
def test_graph_enumerate_takes(fake, graph_mode, src, start, want):
    assert _Enumerate(src, start)(Tensor(np.ones(2, np.float32))) == want


def test_jit_numpy_scalar_outputs_are_python_numbers(fake):
    @jit
    def f():
        return tuple(enumerate(np.array([1, 2])))

    @jit
    def g():
        return np.array([1, 2]).sum(), tuple(np.array([3, 4], np.int8)), tuple(enumerate(np.array([1.5], np.float32)))

    @jit
    def h(x):
        return x * 2, tuple(np.array([3, 4]))
    # MindSpore 2.10: Python ints / floats, not Tensors
    out = f()
    assert out == ((0, 1), (1, 2)) and all(type(v) is int for pair in out for v in pair)
    total, small, floats = g()
    assert type(total) is int and total == 3
    assert small == (3, 4) and all(type(v) is int for v in small)
    assert floats == ((0, 1.5),) and type(floats[0][1]) is float
    doubled, pair = h(_t(1.0))
    assert doubled.asnumpy() == 2.0 and pair == (3, 4) and all(type(v) is int for v in pair)
