"""Sample seed 28 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 28").

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (the literals below are its outputs,
the call that gave each stated beside it), or NumPy where said."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops
from gradserve.ops.composite import GradOperation

_X_INT = np.array([[1, 2], [3, 4]], np.int32)


class _Padded(nn.Cell):
    def __init__(self):
        super().__init__()
        self.pad = nn.Pad(mode="CONSTANT", paddings=((0, 1), (1, 0)))

    def construct(self, x):
        return self.pad(x)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_int_gradient_through_pad(on_real_server, mode):
    # tests/st/ops/cpu/test_pad.py::test_pad_3d_backprop (int32 part): MindSpore 2.10 passes an int32 cotangent
    # back through nn.Pad / ops.pad to an int32 input (the cotangent's slice); gradserve gave zeros
    ms.set_context(mode=mode)
    grad = GradOperation(get_all=True, sens_param=True)
    sens = Tensor(np.arange(1, 10, dtype=np.int32).reshape(3, 3))
    dx = grad(_Padded())(Tensor(_X_INT), sens)[0]
    assert dx.dtype == ms.int32
    np.testing.assert_array_equal(dx.asnumpy(), [[2, 3], [5, 6]])  # MindSpore 2.10, both modes
    dx = grad(lambda a: ops.pad(a, (1, 0)))(Tensor(_X_INT), Tensor(np.arange(6, dtype=np.int32).reshape(2, 3)))[0]
    np.testing.assert_array_equal(dx.asnumpy(), [[1, 2], [4, 5]])  # MindSpore 2.10
    dx = grad(lambda a: ops.clamp(a, 2, 3))(Tensor(_X_INT), Tensor(np.array([[5, 6], [7, 8]], np.int32)))[0]
    np.testing.assert_array_equal(dx.asnumpy(), [[0, 6], [7, 0]])  # MindSpore 2.10
