"""Sample seed 65 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 65").

What the sample asked for: `ops.operations.sparse_ops.SparseReorder` (st/ops/cpu/test_sparse_reorder_op.py). Expected
values and texts: MindSpore 2.10 CPU runs of the same calls (/work/ms_suite65/probe/p1.py, p2.py; their outputs
p*.ms.txt), written here as literals."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops
from gradserve.ops.operations.sparse_ops import SparseReorder


def _reorder(indices, values, shape, idx_dtype=ms.int64, val_dtype=ms.float32):
    i, v = SparseReorder()(Tensor(indices, idx_dtype), Tensor(values, val_dtype), Tensor(shape, ms.int64))
    return i.asnumpy().tolist(), str(i.dtype), v.asnumpy().tolist(), str(v.dtype)


# MindSpore 2.10's outputs: (indices, indices dtype, values, values dtype).
@pytest.mark.parametrize("args, want", [
    (([[2, 1], [0, 1]], [1, 2], [3, 3]), ([[0, 1], [2, 1]], "Int64", [2.0, 1.0], "Float32")),
    # repeated indices keep their given order (a stable sort), not summed
    (([[2, 1], [0, 2], [0, 1], [1, 0], [0, 2]], [1, 2, 3, 4, 5], [3, 3]),
     ([[0, 1], [0, 2], [0, 2], [1, 0], [2, 1]], "Int64", [3.0, 2.0, 5.0, 4.0, 1.0], "Float32")),
])
def test_sparse_reorder_values(args, want):
    assert _reorder(*args) == want


def test_sparse_reorder_rank3_int32_bool_and_empty():
    assert _reorder([[1, 0, 2], [0, 3, 1], [1, 0, 0]], [1, 2, 3], [2, 4, 3], val_dtype=ms.int32) == (
        [[0, 3, 1], [1, 0, 0], [1, 0, 2]], "Int64", [2, 3, 1], "Int32")
    assert _reorder([[2, 1], [0, 1]], [True, False], [3, 3], val_dtype=ms.bool_) == (
        [[0, 1], [2, 1]], "Int64", [False, True], "Bool")
    i, _, v, _ = _reorder(np.zeros((0, 2)), np.zeros(0), [3, 3])
    assert (i, v) == ([], [])


@pytest.mark.parametrize("args, kind, text", [
    (([[3, 1], [0, 1]], [1, 2], [3, 3]), ValueError, "For 'SparseReorder', shape=(3, 3), the index range on the 0-th "
     "dimension is [0, 3), but the obtained index value is 3."),
    (([[-1, 1], [0, 1]], [1, 2], [3, 3]), ValueError, "For 'SparseReorder', shape=(3, 3), the index range on the 0-th "
     "dimension is [0, 3), but the obtained index value is -1."),
    (([[2, 1], [0, 1]], [1, 2, 3], [3, 3]), ValueError,
     "For primitive[SparseReorder], the size of values must be equal to 2, but got 3."),
    (([[2, 1], [0, 1]], [1, 2], [3, 3, 1]), ValueError,
     "For primitive[SparseReorder], the size of shape must be equal to 2, but got 3."),
])
def test_sparse_reorder_refusals(args, kind, text):
    with pytest.raises(kind) as e:
        _reorder(*args)
    assert str(e.value) == text


def test_sparse_reorder_int32_indices_refused():
    with pytest.raises(TypeError) as e:
        _reorder([[2, 1], [0, 1]], [1, 2], [3, 3], idx_dtype=ms.int32)
    assert str(e.value) == ("For primitive[SparseReorder], the input argument[indices] must be a type of "
                            "{Tensor[Int64]}, but got Tensor[Int32].")


class _Loss(nn.Cell):
    def __init__(self):
        super().__init__()
        self.op = SparseReorder()

    def construct(self, i, v, s):
        _, y = self.op(i, v, s)
        return (y * Tensor([1., 10., 100., 1000., 10000.], ms.float32)).sum()


@pytest.mark.parametrize("mode", ["graph", "pynative"])
def test_sparse_reorder_gradient_is_the_permutation_back(fake, mode):
    # MindSpore 2.10 GRAPH_MODE: [10000, 10, 1, 1000, 100]; its PyNative grad fails with an internal error
    # ("depend list index should be less than inputs size"), gradserve gives the same math there.
    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    i = Tensor([[2, 1], [0, 2], [0, 1], [1, 0], [0, 2]], ms.int64)
    g = ops.grad(_Loss(), 1)(i, Tensor([1, 2, 3, 4, 5], ms.float32), Tensor([3, 3], ms.int64))
    assert g.asnumpy().tolist() == [10000.0, 10.0, 1.0, 1000.0, 100.0]


def test_sparse_reorder_dynamic_shape_cell(fake, graph_mode):
    # MindSpore's test_sparse_reorder_dyn: inputs declared with None dims through set_inputs.
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.op = SparseReorder()

        def construct(self, indices, values, shape):
            return self.op(indices, values, shape)

    net = Net()
    net.set_inputs(Tensor(shape=[None, None], dtype=ms.int64), Tensor(shape=[None], dtype=ms.float32),
                   Tensor(shape=[None], dtype=ms.int64))
    y_i, y_v = net(Tensor([[2, 1], [0, 1]], ms.int64), Tensor([1, 2], ms.float32), Tensor([3, 3], ms.int64))
    assert y_i.asnumpy().tolist() == [[0, 1], [2, 1]] and y_v.asnumpy().tolist() == [2.0, 1.0]


# ops.SparseToDense with a repeated index: MindSpore 2.10 keeps the last value (probe p6.py); gradserve summed them.
@pytest.mark.parametrize("indices, values, want", [
    ([[0, 1], [0, 1], [1, 2]], [1., 2., 3.], [[0.0, 2.0, 0.0], [0.0, 0.0, 3.0]]),
    ([[0, 1], [1, 2], [0, 1]], [1., 2., 3.], [[0.0, 3.0, 0.0], [0.0, 0.0, 2.0]]),
    ([[0, 1], [0, 1], [0, 1]], [1., 2., 4.], [[0.0, 4.0, 0.0], [0.0, 0.0, 0.0]]),
])
def test_sparse_to_dense_repeated_index_takes_the_last_value(fake, indices, values, want):
    out = ops.SparseToDense()(Tensor(indices, ms.int32), Tensor(values, ms.float32), (2, 3))
    assert out.asnumpy().tolist() == want


def test_sparse_to_dense_repeats_int_values_and_graph_cell(fake, graph_mode):
    out = ops.SparseToDense()(Tensor([[0, 1], [0, 1]], ms.int64), Tensor([1, 2], ms.int32), (2, 3))
    assert str(out.dtype) == "Int32" and out.asnumpy().tolist() == [[0, 2, 0], [0, 0, 0]]

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.op = ops.SparseToDense()

        def construct(self, i, v):
            return self.op(i, v, (2, 3))

    got = Net()(Tensor([[0, 1], [0, 1], [1, 2]], ms.int32), Tensor([1., 2., 3.], ms.float32))
    assert got.asnumpy().tolist() == [[0.0, 2.0, 0.0], [0.0, 0.0, 3.0]]


def test_sparse_to_dense_overwritten_value_has_no_gradient(fake):
    # d/dv of the dense result: the overwritten first entry does not reach it, so its derivative is 0.
    # MindSpore 2.10's bprop gathers the output gradient at every index and gives [10, 100000, 10] (wrong math
    # for a write that is overwritten); gradserve gives [0, 100000, 10].
    w = Tensor([[1., 10., 100.], [1000., 10000., 100000.]], ms.float32)
    f = lambda v: (ops.SparseToDense()(Tensor([[0, 1], [1, 2], [0, 1]], ms.int32), v, (2, 3)) * w).sum()  # noqa: E731
    assert ops.grad(f)(Tensor([1., 2., 3.], ms.float32)).asnumpy().tolist() == [0.0, 100000.0, 10.0]


def test_nn_sparse_to_dense_takes_the_last_value_to_dense_sums(fake):
    # MindSpore 2.10 (probe p8.py): nn.SparseToDense gives [[0, 3, 0], [0, 0, 2]], COOTensor.to_dense [[0, 4, 0], [0, 0, 2]].
    c = ms.COOTensor(Tensor([[0, 1], [1, 2], [0, 1]], ms.int32), Tensor([1., 2., 3.], ms.float32), (2, 3))
    assert nn.SparseToDense()(c).asnumpy().tolist() == [[0.0, 3.0, 0.0], [0.0, 0.0, 2.0]]
    assert c.to_dense().asnumpy().tolist() == [[0.0, 4.0, 0.0], [0.0, 0.0, 2.0]]
