"""The SDK ops that are compositions of engine ops (the median family, the scatters that write
into their input, the FFT family) on the engine's other array backends: the fake server's engine runs on
array-api-strict and PyTorch CPU, every op goes to it (eager mode "remote"), and the values are MindSpore
2.10's (the same ones test_mindspore_median / test_mindspore_scatter_write check on NumPy) or numpy.fft's."""
from __future__ import annotations

import numpy as np
import pytest

from gradserve import Parameter, Tensor, _eager, jit, ops

from engine import Engine
from engine.backends import BackendUnavailable, get_backend

from .test_mindspore_scatter_write import EXPECTED, IDX, UPD, X  # MindSpore 2.10's values


@pytest.fixture(params=["array_api_strict", "torch"])
def on_backend(fake, request, monkeypatch):
    try:
        get_backend(request.param)
    except BackendUnavailable:
        pytest.skip(f"backend {request.param} is not installed")
    fake.engine = Engine(request.param)
    monkeypatch.setattr(_eager, "_mode", "remote")  # sort, take_along_axis, ... would run in the client
    return fake


def _median_of_nan_made_inside(fn):
    """fn's (values is NaN, values with NaN as -1, indices) for x = [[1, nan, 2], [3, 1, 1]], NaN made in the
    graph (the fake server's JSON carries no NaN)."""
    def run(x, hole):
        values, indices = fn(ops.where(hole, ops.div(ops.zeros_like(x), ops.zeros_like(x)), x))
        return ops.isnan(values), ops.where(ops.isnan(values), ops.full_like(values, -1.0), values), indices
    x, hole = np.array([[1, 0, 2], [3, 1, 1]], np.float32), np.array([[0, 1, 0], [0, 0, 0]], bool)
    return [o.asnumpy().tolist() for o in jit(run)(Tensor(x), Tensor(hole))]


def test_median_family(on_backend):
    # MindSpore 2.10: median ([nan, 1], [1, 2]), nanmedian ([1, 1], [0, 2])
    assert _median_of_nan_made_inside(lambda a: ops.median(a, axis=-1)) == [[True, False], [-1, 1], [1, 2]]
    assert _median_of_nan_made_inside(lambda a: ops.nanmedian(a, axis=-1)) == [[False, False], [1, 1], [0, 2]]
    values, indices = Tensor(np.array([[1, 3, 4, 2], [0, 2, 4, 1]], np.float32)).median(axis=0)
    np.testing.assert_array_equal(values.asnumpy(), [0, 2, 4, 1])  # MindSpore 2.10
    np.testing.assert_array_equal(indices.asnumpy(), [1, 1, 0, 1])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scatter_writes(on_backend, name):
    p = Parameter(Tensor(X.copy()), name="p")
    getattr(ops, name)()(p, Tensor(IDX), Tensor(UPD))
    np.testing.assert_allclose(p.asnumpy(), EXPECTED[name], rtol=1e-6)


def test_integer_scatter_division_by_zero_saturates(on_backend):
    p = Parameter(Tensor(np.array([6, -2, 0, 7], np.int32)), name="p")  # MindSpore 2.10's ScatterNdDiv kernel
    got = ops.ScatterNdDiv()(p, Tensor(np.array([[0], [1], [2], [3]], np.int32)), Tensor(np.array([0, 0, 0, -2],
                                                                                                  np.int32)))
    np.testing.assert_array_equal(got.asnumpy(), [2**31 - 1, -2**31, 0, -3])


def test_fft_family(on_backend):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 8)).astype(np.float32)
    z = (x + 1j * rng.standard_normal((3, 8))).astype(np.complex64)
    np.testing.assert_allclose(ops.fft(Tensor(z), n=6).asnumpy(), np.fft.fft(z, n=6), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ops.rfft2(Tensor(x), norm="ortho").asnumpy(), np.fft.rfft2(x, norm="ortho"),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ops.irfft(Tensor(z), n=9).asnumpy(), np.fft.irfft(z, n=9), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ops.hfft(Tensor(z)).asnumpy(), np.fft.hfft(z), rtol=1e-4, atol=1e-4)
