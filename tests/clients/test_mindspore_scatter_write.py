"""MindSpore's scatters that write into their input (ops.ScatterNdAdd / Sub / Mul / Div / Max / Min / Update,
ScatterMax / scatter_update ...): the values, and that the Parameter holds them after the call, as
MindSpore 2.10 (CPU, PyNative; the values recorded here came from running the same calls there)."""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, nn, ops

X = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
IDX = np.array([[0], [2], [0]], np.int32)  # row 0 twice: repeats combine (the last wins for Update)
UPD = np.array([[2, 2, 2, 2], [3, 3, 3, 3], [5, 5, 5, 5]], np.float32)

# MindSpore 2.10: ops.<name>()(Parameter(X), IDX, UPD)
EXPECTED = {
    "ScatterNdAdd": [[8, 9, 10, 11], [5, 6, 7, 8], [12, 13, 14, 15]],
    "ScatterNdSub": [[-6, -5, -4, -3], [5, 6, 7, 8], [6, 7, 8, 9]],
    "ScatterNdMul": [[10, 20, 30, 40], [5, 6, 7, 8], [27, 30, 33, 36]],
    "ScatterNdDiv": [[0.1, 0.2, 0.3, 0.4], [5, 6, 7, 8], [3, 10 / 3, 11 / 3, 4]],
    "ScatterNdMax": [[5, 5, 5, 5], [5, 6, 7, 8], [9, 10, 11, 12]],
    "ScatterNdMin": [[1, 2, 2, 2], [5, 6, 7, 8], [3, 3, 3, 3]],
    "ScatterNdUpdate": [[5, 5, 5, 5], [5, 6, 7, 8], [3, 3, 3, 3]],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scatter_nd_writes_the_parameter(fake, name):
    p = Parameter(Tensor(X.copy()), name="p")
    out = getattr(ops, name)()(p, Tensor(IDX), Tensor(UPD))
    np.testing.assert_allclose(out.asnumpy(), EXPECTED[name], rtol=1e-6)
    np.testing.assert_allclose(p.asnumpy(), EXPECTED[name], rtol=1e-6)


def test_axis0_forms(fake):
    p = Parameter(Tensor(X.copy()), name="p")
    got = ops.ScatterMax()(p, Tensor(np.array([1, 0], np.int32)), Tensor(np.array([[9, 0, 9, 0], [0, 9, 0, 9]],
                                                                                    np.float32)))
    np.testing.assert_array_equal(got.asnumpy(), [[1, 9, 3, 9], [9, 6, 9, 8], [9, 10, 11, 12]])  # MindSpore 2.10
    q = Parameter(Tensor(X.copy()), name="q")
    got = ops.scatter_update(q, Tensor(np.array([[1], [0]], np.int32)),
                             Tensor(np.array([[[9, 0, 9, 0]], [[0, 9, 0, 9]]], np.float32)))
    np.testing.assert_array_equal(q.asnumpy(), [[0, 9, 0, 9], [9, 0, 9, 0], [9, 10, 11, 12]])  # MindSpore 2.10
    np.testing.assert_array_equal(got.asnumpy(), q.asnumpy())


@pytest.mark.parametrize("dt", [np.int8, np.int32, np.int64])
def test_integer_division_by_zero_saturates(fake, dt):
    # MindSpore 2.10's ScatterNdDiv kernel: x / 0 is the dtype's highest (x > 0), lowest (x < 0) or 0 (x = 0)
    p = Parameter(Tensor(np.array([6, -2, 0, 7], dt)), name="p")
    got = ops.ScatterNdDiv()(p, Tensor(np.array([[0], [1], [2], [3]], np.int32)), Tensor(np.array([0, 0, 0, -2], dt)))
    info = np.iinfo(dt)
    np.testing.assert_array_equal(got.asnumpy(), np.array([info.max, info.min, 0, -3], dt))


def test_in_a_traced_construct_later_reads_see_the_write(fake):
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.x = Parameter(Tensor(X.copy()), name="x")
            self.op = ops.ScatterNdSub(use_locking=True)

        def construct(self, idx, upd):
            self.op(self.x, idx, upd)
            return self.x * 1.0

    net = Net()
    out = net(Tensor(IDX), Tensor(UPD))
    np.testing.assert_allclose(out.asnumpy(), EXPECTED["ScatterNdSub"])
    np.testing.assert_allclose(net.x.asnumpy(), EXPECTED["ScatterNdSub"])


def test_an_index_outside_is_a_runtime_error(fake):
    p = Parameter(Tensor(X.copy()), name="p")
    with pytest.raises(RuntimeError, match="outside"):  # MindSpore 2.10: RuntimeError from its kernel
        ops.ScatterNdAdd()(p, Tensor(np.array([[3]], np.int32)), Tensor(np.ones((1, 4), np.float32)))
    np.testing.assert_array_equal(p.asnumpy(), X)


def test_sparse_tensor_dense_add(fake):
    from gradserve.ops.operations.sparse_ops import SparseTensorDenseAdd
    got = SparseTensorDenseAdd()(Tensor(np.array([[0, 0], [0, 1], [0, 1]], np.int64)),
                                 Tensor(np.array([1., 2., 3.], np.float32)), Tensor(np.array([2, 3], np.int64)),
                                 Tensor(np.ones((2, 3), np.float32)))
    np.testing.assert_array_equal(got.asnumpy(), [[2, 6, 1], [1, 1, 1]])  # MindSpore 2.10 (repeats add)
