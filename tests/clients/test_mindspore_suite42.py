"""Sample seed 42 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 42").

Expected values and texts: MindSpore 2.10 (CPU), run for this task in its own venv (the call that gave each is
stated beside it)."""
import numpy as np
import pytest

from gradserve import Tensor, nn
from gradserve.common.sparse_tensor import RowTensorInner
from gradserve.ops._utils.utils import generate_shape_index
from gradserve.ops.composite.multitype_ops.zeros_like_impl import zeros_like


def test_multitype_zeros_like():
    # ut/python/ir/test_row_tensor imports it (its user bprop returns zeros_like(indices), zeros_like(axis)).
    # MindSpore 2.10: zeros_like(3) -> 0, (2.5) -> 0.0, ((1, 2.0)) -> 0, (True) -> 0, an int32 [2] Tensor -> [0, 0]
    for value, want in [(3, 0), (2.5, 0.0), ((1, 2.0), 0), (True, 0)]:
        got = zeros_like(value)
        assert got == want and type(got) is type(want), (value, got)
    got = zeros_like(Tensor(np.ones(2, np.int32)))
    assert isinstance(got, Tensor) and got.dtype == Tensor(np.ones(2, np.int32)).dtype
    np.testing.assert_array_equal(got.asnumpy(), [0, 0])


@pytest.mark.parametrize("out_shape, indices_shape, axis, want", [
    ((3, 2, 3), (2,), 1, (1, 0, 2)),  # MindSpore 2.10's values for each row
    ((4, 2, 3, 5), (2, 3), 1, (1, 2, 0, 3)),
    ((4, 2, 3, 5), (2, 3), -2, (1, 2, 0, 3)),
    ((4, 5), (), 1, (0, 1)),
])
def test_generate_shape_index(out_shape, indices_shape, axis, want):
    assert generate_shape_index(out_shape, indices_shape, axis) == want


class _MakeRow(nn.Cell):
    def __init__(self, dense_shape):
        super().__init__()
        self.dense_shape = dense_shape

    def construct(self, indices, values):
        x = RowTensorInner(indices, values, self.dense_shape)
        return x.values, x.indices, x.dense_shape


@pytest.mark.parametrize("values_shape, dense_shape, text", [
    # MindSpore 2.10, GRAPH_MODE, a Cell making RowTensorInner(indices [2], values, dense_shape): TypeError
    ((2, 4, 5), (3, 4), "The size of dense_shape must be the same with the dimension of values 3, but got 2"),
    ((2, 4), (3, 4, 5), "The size of dense_shape must be the same with the dimension of values 2, but got 3"),
    ((2, 4), (3, 5), "The 1th element of dense_shape must be same with the 1th dimension of values 4, but got 5"),
])
def test_row_tensor_values_against_dense_shape_in_graph(on_real_server, graph_mode, values_shape, dense_shape, text):
    # ut/python/ir/test_row_tensor's three *_dense_shape_* items expect TypeError (gradserve gave ValueError)
    indices = Tensor(np.array([0, 1], np.int32))
    with pytest.raises(TypeError, match=text.replace("(", r"\(").replace(")", r"\)")):
        _MakeRow(dense_shape)(indices, Tensor(np.ones(values_shape, np.float32)))
    values, _, shape = _MakeRow((3, 4))(indices, Tensor(np.ones((2, 4), np.float32)))  # MindSpore: runs, (3, 4)
    assert tuple(shape) == (3, 4) and values.shape == (2, 4)
