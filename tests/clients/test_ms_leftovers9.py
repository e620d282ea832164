"""MindSpore leftovers of the round-6 differential (h-msleft9): every expected value and dtype below is
MindSpore 2.10.0's on CPU (its venv, /work/msvenv, run for this task), values also NumPy's."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("on_real_server")


@pytest.mark.parametrize("np_dtype", ["int8", "int16", "int32", "int64", "uint8", "bool"])
def test_cumprod_of_integers_is_int64(np_dtype):
    # MindSpore 2.10: ops.cumprod(int32 [[3, 1, 2], [1, 5, 0]], 1) -> Int64 [[3, 3, 6], [1, 5, 0]]; bool -> Int64
    x = np.array([[3, 1, 2], [1, 5, 0]]).astype(np_dtype)
    for out in (ops.cumprod(Tensor(x), 1), Tensor(x).cumprod(1)):
        assert out.dtype == ms.int64
        np.testing.assert_array_equal(out.asnumpy(), np.cumprod(x.astype(np.int64), 1))


def test_cumprod_keeps_floats_and_a_given_dtype():
    x = np.array([1.0, 2.0, 3.0], np.float16)
    assert ops.cumprod(Tensor(x), 0).dtype == ms.float16
    i = Tensor(np.array([1, 2, 3], np.int32))
    assert ops.cumprod(i, 0, dtype=ms.int32).dtype == ms.int32  # MindSpore: Int32 [1, 2, 6]
    assert ops.CumProd()(i, 0).dtype == ms.int32  # the primitive keeps int32 (MindSpore 2.10)
