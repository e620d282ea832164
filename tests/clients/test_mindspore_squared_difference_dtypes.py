"""ops.SquaredDifference's dtypes as MindSpore 2.10's (CPU, /work/msvenv): bool / int8 Tensors are its TypeError,
float16 and a bool Tensor promoted by a float32 one work (values: NumPy)."""
import numpy as np
import pytest

from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("on_real_server")


@pytest.mark.parametrize("dtype", [np.bool_, np.int8])
def test_squared_difference_refuses_bool_and_int8(dtype):
    a = Tensor(np.array([1, 0, 1]).astype(dtype))
    with pytest.raises(TypeError, match=r"input argument\[x\] must be a type of .*but got Tensor\[(Bool|Int8)\]"):
        ops.SquaredDifference()(a, a)


def test_squared_difference_float16_and_promoted_bool():
    a = np.array([1.5, -2.0, 0.25], np.float16)
    b = np.array([0.5, 1.0, 0.25], np.float16)
    out = ops.SquaredDifference()(Tensor(a), Tensor(b))
    assert out.dtype == Tensor(a).dtype
    np.testing.assert_allclose(out.asnumpy(), (a - b) ** 2)
    mixed = ops.SquaredDifference()(Tensor(np.array([True, False])), Tensor(np.array([0.25, 2.0], np.float32)))
    np.testing.assert_allclose(mixed.asnumpy(), [0.5625, 4.0])
