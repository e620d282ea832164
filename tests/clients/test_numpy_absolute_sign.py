"""mindspore.numpy's absolute / fabs / sign as MindSpore 2.10 defines them (expected values: MindSpore 2.10.0 CPU,
run for this task, unless a line says the documentation). absolute sends a dtype outside its kernel's (int32,
float16, float32, float64) through float32 and back, as its documentation says; sign is x / absolute(x) where
x != 0 (complex refused, as documented). Before: complex absolute was the modulus, sign of integers stayed integer,
sign(nan) was 0."""
import numpy as np
import pytest

import gradserve.numpy as mnp
from gradserve import Tensor

Z = np.array([1 + 2j, -3 + 0j, 0j, -0.5 - 0.5j], np.complex64)


@pytest.mark.parametrize("f", [mnp.absolute, mnp.abs, mnp.fabs])
def test_absolute_of_complex_keeps_the_real_parts_magnitude(f):
    out = f(Tensor(Z))
    assert out.dtype == Tensor(Z).dtype
    np.testing.assert_array_equal(out.asnumpy(), [1, 3, 0, 0.5])


def test_absolute_keeps_the_dtype_of_its_kernel_and_round_trips_the_rest():
    assert str(mnp.absolute(Tensor(np.array([-1, 2], np.int32))).dtype) == "Int32"
    out = mnp.absolute(Tensor(np.array([-1, 2], np.int8)))
    assert str(out.dtype) == "Int8"
    np.testing.assert_array_equal(out.asnumpy(), [1, 2])


def test_sign_follows_mindsporess_definition():
    out = mnp.sign(Tensor(np.array([-2, 0, 3], np.int32)))
    assert str(out.dtype) == "Float32"  # a true division
    np.testing.assert_array_equal(out.asnumpy(), [-1, 0, 1])
    # nan stays nan (documented; MindSpore too); +-inf is +-1 (documented; MindSpore's CPU gives nan: inf / inf)
    out = mnp.sign(Tensor(np.array([-0.0, np.inf, -np.inf, np.nan, 2.5], np.float32))).asnumpy()
    np.testing.assert_array_equal(out, [0, 1, -1, np.nan, 1])
    # complex: refused, as documented ("Complex inputs are not supported now"); MindSpore's CPU answer is no sign
    # (3+4j gives 1+1.333j, 2j gives 0: checked), and x / |real part| was nan / inf here for 2j
    with pytest.raises(TypeError, match="complex inputs are not supported"):
        mnp.sign(Tensor(Z))
    with pytest.raises(TypeError, match="sign does not accept dtype bool"):
        mnp.sign(Tensor(np.array([True, False])))
