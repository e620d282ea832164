"""ops.nextafter / ops.NextAfter / Tensor.nextafter: NumPy's nextafter values; MindSpore 2.10's gradient (1 w.r.t.
input, 0 w.r.t. other) and its TypeErrors (float32 / float64 only, one dtype). ops.bincount / histc and their
Tensor methods: values and dtypes read off MindSpore 2.10 (CPU)."""
import numpy as np
import pytest

from gradserve import Tensor, jit, ops


def test_nextafter_values_gradient_and_dtypes(on_real_server):
    x = np.array([0.0, 1.0, -2.0, 3.0], np.float32)
    y = np.array([[0.1, 0.0, -3.0, 3.0]], np.float32)   # broadcast over a row; x == y gives y
    got = ops.nextafter(Tensor(x), Tensor(y)).asnumpy()
    assert got.dtype == np.float32 and got.tobytes() == np.nextafter(x, y).tobytes()   # bit for bit
    assert got[0, 0] == np.float32(1.401298464324817e-45)   # the smallest subnormal, as MindSpore prints it
    x64 = Tensor(np.array([1.0]))
    assert ops.NextAfter()(x64, Tensor(np.array([2.0]))).asnumpy().tolist() == [1.0000000000000002]
    assert jit(lambda a, b: a.nextafter(b))(Tensor(x), Tensor(y)).asnumpy().tobytes() == got.tobytes()
    w = Tensor(np.array([1.0, 2.0, 3.0, 4.0], np.float32))
    gx, gy = ops.grad(lambda a, b: ops.nextafter(a, b) * w, (0, 1))(Tensor(x), Tensor(y[0]))
    assert gx.asnumpy().tolist() == [1.0, 2.0, 3.0, 4.0] and gy.asnumpy().tolist() == [0.0] * 4
    with pytest.raises(TypeError, match="Float32"):
        ops.nextafter(Tensor(np.array([1], np.int32)), Tensor(np.array([1], np.int32)))
    with pytest.raises(TypeError, match="same"):
        ops.nextafter(Tensor(x), Tensor(x.astype(np.float64)))


def test_bincount_and_histc_as_mindspore(on_real_server):
    x = Tensor(np.array([2, 4, 1, 0, 0], np.int32))
    counts = ops.bincount(x)
    assert counts.dtype == np.float32 and counts.asnumpy().tolist() == [2, 1, 1, 0, 1]
    w = Tensor(np.array([0., 0.25, 0.5, 0.75, 1.]))
    assert ops.bincount(x, w, 7).asnumpy().tolist() == [1.75, 0.5, 0, 0, 0.25, 0, 0]
    assert jit(lambda a, b: ops.bincount(a, b, 7))(x, w).asnumpy().tolist() == [1.75, 0.5, 0, 0, 0.25, 0, 0]
    g = ops.grad(lambda b: ops.bincount(x, b, 7) * Tensor(np.arange(7.0, dtype=np.float32)))(w)
    assert g.asnumpy().tolist() == [2.0, 4.0, 1.0, 0.0, 0.0]   # each weight's count index
    assert ops.bincount(Tensor(np.array([1, -1]))).asnumpy().tolist() == [0, 1]  # MindSpore 2.10 skips negatives
    h = Tensor(np.array([1, 2, 1], np.int32)).histc(4, 0., 3.)
    assert h.dtype == np.int32 and h.asnumpy().tolist() == [0, 2, 1, 0]
    data = Tensor(np.array([1., 2., 1., 5., -1., 3.], np.float32))
    assert ops.histc(data, 4, 0., 3.).asnumpy().tolist() == [0, 2, 1, 1]   # outside ignored, max in the last bin
    assert ops.histc(Tensor(np.array([1., 2., 1., 5.], np.float32)), 3).asnumpy().tolist() == [3, 0, 1]  # data range


def test_gather_index_past_the_axis_is_mindspores_runtime_error():
    from gradserve.errors import ShapeError
    x = Tensor(np.arange(7.0))
    for bad, v in (([0, 100, 4], 100), ([7], 7), ([-8], -8)):
        with pytest.raises(RuntimeError, match=rf"For 'Gather', the 'input_indices' should be in the range \[0, 7\), "
                                               rf"but got {v}") as info:
            x.gather(Tensor(np.array(bad)), 0)
        assert isinstance(info.value, ShapeError)   # and still the SDK's ShapeError


def test_cauchy_draws_its_law_with_mindspores_checks():
    from gradserve import set_seed
    set_seed(7)
    x = ops.Cauchy([200, 100], 1.0, 2.0)().asnumpy()
    assert x.dtype == np.float32 and x.shape == (200, 100)
    # the Cauchy law's quartiles are median -/+ sigma: half the draws within, a quarter on each side
    assert abs(np.mean(np.abs(x - 1.0) < 2.0) - 0.5) < 0.03 and abs(np.mean(x < -1.0) - 0.25) < 0.03
    with pytest.raises(TypeError, match="'list'"):
        ops.Cauchy((2, 3))
    with pytest.raises(ValueError, match=r"size\[1\]"):
        ops.Cauchy([2, -1])


def test_histc_bins_as_mindspores_float32_kernel(fake):
    """MindSpore 2.10's Histogram (CPU), values from its venv: the bin of x is floor((x - min) / (max - min) * bins)
    in float32 (0.7f lands in bin 7 of 10 over [0, 1]: in float64 it fell in bin 6); min == max (any value, not
    only 0) means the data's range; a float16 input counts in float32."""
    edges = np.array([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, -0.1], np.float32)
    assert ops.histc(Tensor(edges), 10, 0.0, 1.0).asnumpy().tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    grid = Tensor(np.linspace(-1, 1, 141).astype(np.float32))
    assert ops.histc(grid, 7, -1.0, 1.0).asnumpy().tolist() == [21, 20, 19, 20, 20, 20, 21]
    data = Tensor(np.array([1., 2., 1., 5., -1., 3.], np.float32))
    assert ops.histc(data, 3, 0.5, 0.5).asnumpy().tolist() == [1, 3, 2]  # as min = max = 0: [-1, 5]
    h16 = ops.histc(Tensor(np.array([1, 2, 3], np.float16)), 3)
    assert h16.dtype == np.float32 and h16.asnumpy().tolist() == [1, 1, 1]
