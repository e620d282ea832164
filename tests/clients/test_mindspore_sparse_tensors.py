"""MindSpore's sparse tensors (COOTensor, CSRTensor, RowTensor; gradserve._sparse, ops._sparse_tensor):
structures of dense Tensors whose operations lower to dense ops. Expected values: MindSpore 2.10 (CPU, graph
mode; recorded where noted from running the same calls in its venv), else the dense computation in NumPy
(the sparse tensor's to_dense) and finite differences for gradients."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import COOTensor, CSRTensor, RowTensor, Tensor, jit, nn, ops
from gradserve.ops import functional as F

GA = ops.GradOperation(get_all=True)
INDPTR = np.array([0, 1, 4, 6], np.int32)
COLS = np.array([3, 0, 1, 2, 1, 3], np.int32)
VALS = np.array([0.5, -1.0, 2.0, 3.0, -2.5, 4.0], np.float32)
SHAPE = (3, 4)
DENSE = np.zeros(SHAPE, np.float32)
DENSE[[0, 1, 1, 1, 2, 2], COLS] = VALS  # the CSR tensor above, dense

COO_IDX = np.array([[2, 1], [0, 3], [0, 0], [1, 2]], np.int32)  # not in row-major order
COO_VALS = np.array([1.0, -2.0, 3.0, 0.5], np.float32)


def _csr(values=None):
    return CSRTensor(Tensor(INDPTR), Tensor(COLS), Tensor(VALS) if values is None else values, SHAPE)


def _fd(f, x: np.ndarray, eps=1e-3) -> np.ndarray:
    """Central differences of the scalar f at x (float64)."""
    g = np.zeros_like(x, np.float64)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x, np.float64)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def test_attributes_and_dense_forms(fake):
    x = _csr()
    assert x.shape == SHAPE and x.dtype == ms.float32 and x.ndim == 2 and x.size == 6
    np.testing.assert_array_equal(x.to_dense().asnumpy(), DENSE)
    coo = x.to_coo()
    assert isinstance(coo, COOTensor)
    np.testing.assert_array_equal(coo.indices.asnumpy(), [[0, 3], [1, 0], [1, 1], [1, 2], [2, 1], [2, 3]])
    indptr, indices, values, shape = x.to_tuple()
    assert shape == SHAPE and indptr is x.indptr and values is x.values and indices is x.indices
    y = CSRTensor(csr_tensor=x)
    assert y.shape == x.shape and y.values is x.values


def test_coo_to_dense_and_to_csr_sort_row_major(fake):
    coo = COOTensor(Tensor(COO_IDX), Tensor(COO_VALS), SHAPE)
    # MindSpore 2.10: to_dense
    np.testing.assert_array_equal(coo.to_dense().asnumpy(), [[3, 0, 0, -2], [0, 0, 0.5, 0], [0, 1, 0, 0]])
    for csr in (coo.to_csr(), jit(lambda c: c.to_csr())(coo)):
        np.testing.assert_array_equal(csr.indptr.asnumpy(), [0, 2, 3, 4])
        np.testing.assert_array_equal(csr.indices.asnumpy(), [0, 3, 2, 1])
        np.testing.assert_array_equal(csr.values.asnumpy(), [3, -2, 0.5, 1])


def test_sparse_tensors_pass_into_and_out_of_traced_functions(fake):
    x = _csr()
    out = jit(lambda c: ops.csr_abs(c))(x)
    assert isinstance(out, CSRTensor) and out.shape == SHAPE
    np.testing.assert_array_equal(out.values.asnumpy(), np.abs(VALS))

    class Double(nn.Cell):
        def construct(self, c):
            return COOTensor(c.indices, c.values * 2, c.shape)

    coo = COOTensor(Tensor(COO_IDX), Tensor(COO_VALS), SHAPE)
    got = Double()(coo)
    assert isinstance(got, COOTensor) and got.shape == SHAPE
    np.testing.assert_array_equal(got.values.asnumpy(), COO_VALS * 2)
    assert jit(lambda c: F.dtype(c))(coo) == ms.float32


@pytest.mark.parametrize("name", ["cos", "exp", "sqrt", "relu6", "softsign", "isnan", "neg", "round"])
def test_unary_maps_keep_the_pattern(fake, name):
    x = _csr()
    got = getattr(ops, "csr_" + name)(x)
    np.testing.assert_allclose(got.values.asnumpy(), getattr(ops, name)(x.values).asnumpy(), equal_nan=True)
    np.testing.assert_array_equal(got.indptr.asnumpy(), INDPTR)
    coo = getattr(ops, "coo_" + name)(x.to_coo())
    np.testing.assert_allclose(coo.values.asnumpy(), got.values.asnumpy(), equal_nan=True)


def test_csr_products_and_their_gradients(fake):
    d = np.arange(8, dtype=np.float32).reshape(4, 2) - 3
    np.testing.assert_allclose(_csr().mm(Tensor(d)).asnumpy(), DENSE @ d, rtol=1e-6)
    v = np.array([[1], [-2], [3], [0.5]], np.float32)
    np.testing.assert_allclose(F.csr_mv(_csr(), Tensor(v)).asnumpy(), DENSE @ v, rtol=1e-6)

    def dense_of(vals):
        m = np.zeros(SHAPE)
        m[[0, 1, 1, 1, 2, 2], COLS] = vals
        return m

    g = GA(jit(lambda vals, dd: _csr(vals).mm(dd)))(Tensor(VALS), Tensor(d))
    np.testing.assert_allclose(g[0].asnumpy(), _fd(lambda p: (dense_of(p) @ d).sum(), VALS.astype(np.float64)),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(g[1].asnumpy(), _fd(lambda p: (DENSE @ p).sum(), d.astype(np.float64)), rtol=1e-4,
                               atol=1e-4)
    # csr_reduce_sum: rows summed, [m, 1]; axis 0 refused as MindSpore 2.10 does
    np.testing.assert_allclose(F.csr_reduce_sum(_csr(), 1).asnumpy(), DENSE.sum(1, keepdims=True), rtol=1e-6)
    with pytest.raises(ValueError, match="axis"):
        F.csr_reduce_sum(_csr(), 0)


def test_products_with_dense_broadcast_and_gradients(fake):
    d = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
    col = np.array([[1], [2], [3]], np.float32)
    for other in (d, col):
        full = np.broadcast_to(other, SHAPE)
        got = (_csr() * Tensor(other)).values.asnumpy()
        np.testing.assert_allclose(got, VALS * full[[0, 1, 1, 1, 2, 2], COLS], rtol=1e-6)
        got = (Tensor(other) * _csr()).values.asnumpy()
        np.testing.assert_allclose(got, VALS * full[[0, 1, 1, 1, 2, 2], COLS], rtol=1e-6)
        got = (_csr() / Tensor(other)).values.asnumpy()
        np.testing.assert_allclose(got, VALS / full[[0, 1, 1, 1, 2, 2], COLS], rtol=1e-6)

    def f(p, q):  # sum of (csr / dense).values, in float64
        return (p / np.broadcast_to(q, SHAPE)[[0, 1, 1, 1, 2, 2], COLS]).sum()

    g = GA(jit(lambda vals, dd: (_csr(vals) / dd).values))(Tensor(VALS), Tensor(col))
    np.testing.assert_allclose(g[0].asnumpy(), _fd(lambda p: f(p, col), VALS.astype(np.float64)), rtol=1e-4)
    np.testing.assert_allclose(g[1].asnumpy(), _fd(lambda q: f(VALS, q), col.astype(np.float64)), rtol=1e-3)


def test_gradient_reaches_values_not_indices(fake):
    # MindSpore 2.10: grad of COOTensor(indices, values, shape).to_dense() is ones for the values
    g = GA(jit(lambda i, v: COOTensor(i, v, SHAPE).to_dense()))(Tensor(COO_IDX), Tensor(COO_VALS))
    np.testing.assert_array_equal(g[1].asnumpy(), np.ones(4, np.float32))
    np.testing.assert_array_equal(g[0].asnumpy(), np.zeros_like(COO_IDX))


def test_sparse_tensor_dense_matmul_adjoints(fake):
    # MindSpore 2.10 (graph mode, CPU): values and gradients of ops.SparseTensorDenseMatmul
    idx, vals = Tensor(COO_IDX), Tensor(COO_VALS)
    d32 = Tensor(np.arange(6, dtype=np.float32).reshape(3, 2) - 2)
    op = ops.SparseTensorDenseMatmul(adjoint_st=True)
    np.testing.assert_allclose(op(idx, vals, SHAPE, d32).asnumpy(), [[-6, -3], [2, 3], [0, 0.5], [4, 2]])
    g = GA(lambda v, d: op(idx, v, SHAPE, d))(vals, d32)
    np.testing.assert_allclose(g[0].asnumpy(), [5, -3, -3, 1])
    np.testing.assert_allclose(g[1].asnumpy(), [[1, 1], [0.5, 0.5], [1, 1]])
    d24 = Tensor(np.arange(8, dtype=np.float32).reshape(2, 4) - 2)
    op = ops.SparseTensorDenseMatmul(adjoint_dt=True)
    np.testing.assert_allclose(op(idx, vals, SHAPE, d24).asnumpy(), [[-8, -4], [0, 2], [-1, 3]])
    g = GA(lambda v, d: op(idx, v, SHAPE, d))(vals, d24)
    np.testing.assert_allclose(g[0].asnumpy(), [2, 6, 0, 4])
    np.testing.assert_allclose(g[1].asnumpy(), [[3, 1, 0.5, -2], [3, 1, 0.5, -2]])


def test_sums_of_two_sparse_tensors(fake):
    # MindSpore 2.10: ops.csr_add(a, b, 2, -1)
    a = CSRTensor(Tensor([0, 1, 2], ms.int32), Tensor([0, 1], ms.int32), Tensor([1., 2.]), (2, 3))
    b = CSRTensor(Tensor([0, 1, 2], ms.int32), Tensor([1, 1], ms.int32), Tensor([4., 5.]), (2, 3))
    r = ops.csr_add(a, b, Tensor(2.), Tensor(-1.))
    np.testing.assert_array_equal(r.indptr.asnumpy(), [0, 2, 3])
    np.testing.assert_array_equal(r.indices.asnumpy(), [0, 1, 1])
    np.testing.assert_array_equal(r.values.asnumpy(), [2, -4, -1])
    c1 = COOTensor(Tensor([[0, 1], [1, 2]], ms.int64), Tensor([-1., 2.]), SHAPE)
    c2 = COOTensor(Tensor([[0, 2], [1, 2], [2, 3]], ms.int64), Tensor([3., -2., 1.]), SHAPE)
    s = c1 + c2
    np.testing.assert_array_equal(s.to_dense().asnumpy(), c1.to_dense().asnumpy() + c2.to_dense().asnumpy())
    np.testing.assert_array_equal(s.indices.asnumpy(), [[0, 1], [0, 2], [1, 2], [2, 3]])


def test_row_tensor_and_bad_input(fake):
    r = RowTensor(Tensor([0, 2], ms.int32), Tensor([[1., 2.], [3., 4.]]), (3, 2))
    assert r.dense_shape == (3, 2)
    np.testing.assert_array_equal(r.to_dense().asnumpy(), [[1, 2], [0, 0], [3, 4]])
    with pytest.raises(ValueError, match="indptr"):
        CSRTensor(Tensor([0, 1], ms.int32), Tensor([0], ms.int32), Tensor([1.]), (3, 4))
    with pytest.raises(TypeError, match="indices"):
        COOTensor(Tensor([[0.5, 1.0]]), Tensor([1.]), (2, 2))
    with pytest.raises(ValueError, match="len\\(shape\\)"):
        COOTensor(Tensor([[0, 1]], ms.int32), Tensor([1.]), (2, 2, 2))


def test_coo_concat_matches_the_dense_concatenation(fake):
    a = COOTensor(Tensor([[0, 1], [1, 2]], ms.int64), Tensor([1., 2.]), (3, 4))
    b = COOTensor(Tensor([[0, 0], [2, 1], [1, 1]], ms.int64), Tensor([3., 4., 5.]), (3, 2))
    r = F.coo_concat((a, b), 1)
    dense = np.concatenate([a.to_dense().asnumpy(), b.to_dense().asnumpy()], 1)
    assert r.shape == (3, 6)
    np.testing.assert_array_equal(r.indices.asnumpy(), np.argwhere(dense != 0))  # row-major, as MindSpore 2.10
    np.testing.assert_array_equal(r.values.asnumpy(), dense[dense != 0])
    with pytest.raises(IndexError):
        F.coo_concat((a, b), 2)
    with pytest.raises(RuntimeError, match="outside concat_dim"):  # MindSpore 2.10 raises RuntimeError too
        F.coo_concat((a, b), 0)


def test_csr_softmax_per_row_and_its_gradient(fake):
    def np_softmax(vals):
        out = np.empty_like(vals, np.float64)
        for r in range(3):
            seg = slice(INDPTR[r], INDPTR[r + 1])
            e = np.exp(vals[seg] - vals[seg].max())
            out[seg] = e / e.sum()
        return out

    got = ops.csr_softmax(_csr(), ms.float32)
    np.testing.assert_allclose(got.values.asnumpy(), np_softmax(VALS), rtol=1e-6)
    w = np.array([1., -2., 0.5, 3., 1., -1.])
    g = GA(jit(lambda v: (ops.csr_softmax(_csr(v), ms.float32).values * Tensor(w, ms.float32)).sum()))(Tensor(VALS))
    np.testing.assert_allclose(g[0].asnumpy(), _fd(lambda v: (np_softmax(v) * w).sum(), VALS.astype(np.float64)),
                               rtol=1e-4, atol=1e-5)


def test_sparse_segment_mean(fake):
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    idx, seg = np.array([0, 3, 1, 1, 2], np.int32), np.array([0, 0, 2, 2, 4], np.int32)
    got = ops.sparse_segment_mean(Tensor(x), Tensor(idx), Tensor(seg)).asnumpy()
    want = np.zeros((5, 6), np.float32)
    for s in (0, 2, 4):  # segments 1 and 3 are empty: zeros
        want[s] = x[idx[seg == s]].mean(0)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_sparse_tensor_dense_matmul_cell_and_sparse_loop_state(fake):
    idx = Tensor(COO_IDX)
    d = np.arange(8, dtype=np.float32).reshape(4, 2)
    dense = np.zeros(SHAPE, np.float32)
    dense[COO_IDX[:, 0], COO_IDX[:, 1]] = COO_VALS
    got = nn.SparseTensorDenseMatmul()(idx, Tensor(COO_VALS), SHAPE, Tensor(d))
    np.testing.assert_allclose(got.asnumpy(), dense @ d, rtol=1e-6)

    class Doubling(nn.Cell):
        def construct(self, n, c):
            while n < 3:  # a traced condition: the engine's while, with the CSRTensor's parts as its state
                c = CSRTensor(c.indptr, c.indices, c.values * 2, c.shape)
                n = n + 1
            return c

    for mode in (ms.PYNATIVE_MODE, ms.GRAPH_MODE):
        ms.set_context(mode=mode)
        out = Doubling()(Tensor(0, ms.int32), _csr())
        assert isinstance(out, CSRTensor) and out.shape == SHAPE
        np.testing.assert_array_equal(out.values.asnumpy(), VALS * 8)
        g = GA(Doubling())(Tensor(0, ms.int32), _csr())
        assert isinstance(g[1], CSRTensor)
        np.testing.assert_array_equal(g[1].values.asnumpy(), np.full(6, 8, np.float32))


def test_sparse_primitives_over_index_value_tensors(fake):
    # MindSpore 2.10 (graph mode, CPU; ops.operations.sparse_ops): the same calls gave these values
    from gradserve.ops.operations.sparse_ops import (SparseAddmm, SparseReshape, SparseSparseMinimum,
                                                     SparseTensorToCSRSparseMatrix)
    r = SparseAddmm()(Tensor([[0, 1], [1, 2], [2, 0]], ms.int32), Tensor([1., 2., -3.]), Tensor([3, 4], ms.int32),
                      Tensor(np.arange(8, dtype=np.float32).reshape(4, 2)), Tensor(np.ones((3, 2), np.float32)),
                      Tensor([2.]), Tensor([0.5]))
    np.testing.assert_allclose(r.asnumpy(), [[4.5, 6.5], [16.5, 20.5], [0.5, -5.5]])
    yi, ys = SparseReshape()(Tensor([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 2, 3]], ms.int64),
                             Tensor([2, 3, 6], ms.int64), Tensor([9, -1], ms.int64))
    np.testing.assert_array_equal(yi.asnumpy(), [[0, 0], [0, 1], [1, 2], [4, 2], [8, 1]])
    np.testing.assert_array_equal(ys.asnumpy(), [9, 4])
    i, v = SparseSparseMinimum()(Tensor([[0, 0, 0], [0, 1, 0], [0, 1, 1]], ms.int64), Tensor([1., -2., 3.]),
                                 Tensor([2, 2, 2], ms.int64), Tensor([[0, 0, 0], [0, 1, 0], [1, 0, 0]], ms.int64),
                                 Tensor([2., 4., -5.]), Tensor([2, 2, 2], ms.int64))
    np.testing.assert_array_equal(i.asnumpy(), [[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 0, 0]])
    np.testing.assert_array_equal(v.asnumpy(), [1, -2, 0, -5])
    out = SparseTensorToCSRSparseMatrix()(Tensor([[0, 0, 1], [0, 1, 2], [0, 1, 3], [1, 0, 1], [1, 1, 2], [1, 1, 3]],
                                                 ms.int64), Tensor([1., 4., 3., 1., 4., 3.]), Tensor([2, 2, 4], ms.int64))
    want = [[2, 2, 4], [0, 3, 6], [0, 1, 3, 0, 1, 3], [1, 2, 3, 1, 2, 3], [1, 4, 3, 1, 4, 3]]
    for got, w in zip(out, want):
        np.testing.assert_array_equal(got.asnumpy(), w)


def test_a_sparse_value_returned_from_inside_a_while_loop(fake):
    class Net(nn.Cell):
        def construct(self, n, c):
            out = c
            while n < 5:
                out = CSRTensor(out.indptr, out.indices, out.values * 2, out.shape)
                if n > 1:
                    return out
                n = n + 1
            return out

    ms.set_context(mode=ms.GRAPH_MODE)
    out = Net()(Tensor(-2, ms.int32), _csr())  # n = -2, -1, 0, 1: four doublings, the fifth returns
    np.testing.assert_array_equal(out.values.asnumpy(), VALS * 32)


def test_csr_gather_and_sparse_matrix_add(fake):
    from gradserve.ops.operations._csr_ops import CSRGather
    from gradserve.ops.operations.sparse_ops import SparseMatrixAdd
    d = np.arange(12, dtype=np.float32).reshape(3, 4)
    got = CSRGather()(Tensor(INDPTR), Tensor(COLS), Tensor(d), SHAPE)
    np.testing.assert_array_equal(got.asnumpy(), d[[0, 1, 1, 1, 2, 2], COLS])
    b_indptr, b_cols, b_vals = np.array([0, 2, 2, 3], np.int32), np.array([0, 3, 3], np.int32), np.array([5., 6., 7.])
    b_dense = np.zeros(SHAPE)
    b_dense[[0, 0, 2], b_cols] = b_vals
    out = SparseMatrixAdd()(Tensor(SHAPE, ms.int32), Tensor([0, 6], ms.int32), Tensor(INDPTR), Tensor(COLS), Tensor(VALS),
                            Tensor(SHAPE, ms.int32), Tensor([0, 3], ms.int32), Tensor(b_indptr), Tensor(b_cols),
                            Tensor(b_vals.astype(np.float32)), Tensor(2., ms.float32), Tensor(-1., ms.float32))
    c = CSRTensor(out[2], out[3], out[4], SHAPE)
    np.testing.assert_allclose(c.to_dense().asnumpy(), 2 * DENSE - b_dense, rtol=1e-6)
    np.testing.assert_array_equal(out[1].asnumpy(), [0, 7])  # the union of the patterns: 7 positions


def test_coo_add_threshold_drops_only_summed_entries(fake):
    # MindSpore 2.10 (its venv, CPU): ops.coo_add(a, b, thresh) drops a position whose SUM (both inputs hold
    # it) is below thresh in magnitude; a value only one input holds is copied, however small
    a = COOTensor(Tensor([[0, 1], [1, 0], [1, 2]], ms.int64), Tensor([1., 0.2, -2.]), (2, 3))
    b = COOTensor(Tensor([[0, 0], [0, 1], [1, 0]], ms.int64), Tensor([0.25, -0.9, 0.3]), (2, 3))
    for thresh, indices, values in ((0.3, [[0, 0], [1, 0], [1, 2]], [0.25, 0.5, -2.]),
                                    (0.6, [[0, 0], [1, 2]], [0.25, -2.])):
        r = ops.coo_add(a, b, Tensor(thresh, ms.float32))
        np.testing.assert_array_equal(r.indices.asnumpy(), indices)
        np.testing.assert_allclose(r.values.asnumpy(), values, rtol=1e-6)


def test_sparse_tensor_dense_matmul_complex_adjoint_dt_conjugates(fake):
    # MindSpore 2.10 (its venv, CPU): adjoint_dt takes the dense side's conjugate transpose; adjoint_st the
    # sparse side's plain transpose (no conjugate)
    dense = Tensor(np.array([[1j, 2], [3, 4j]], np.complex64))
    got = ops.SparseTensorDenseMatmul(adjoint_dt=True)(Tensor([[0, 0], [1, 1]], ms.int64),
                                                        Tensor(np.array([1, 1], np.complex64)), (2, 2), dense)
    np.testing.assert_allclose(got.asnumpy(), [[-1j, 3], [2, -4j]])
    got = ops.SparseTensorDenseMatmul(adjoint_st=True, adjoint_dt=True)(
        Tensor([[0, 1], [1, 1]], ms.int64), Tensor(np.array([1j, 2], np.complex64)), (2, 2), dense)
    np.testing.assert_allclose(got.asnumpy(), [[0, 0], [5, -5j]])


def test_constructors_refuse_what_mindspore_refuses(fake):
    # MindSpore 2.10: a shape element below 1 and a CSR values rank other than len(shape) - 1 (or a trailing
    # shape other than shape[2:]) are ValueErrors at construction; COOTensor * ndarray is a TypeError
    idx, vals = Tensor(COO_IDX), Tensor(COO_VALS)
    for shape in ((3, 0), (3, -4)):
        with pytest.raises(ValueError, match="COOTensor: shape"):
            COOTensor(idx, vals, shape)
        with pytest.raises(ValueError, match="CSRTensor: shape"):
            CSRTensor(Tensor(INDPTR), Tensor(COLS), Tensor(VALS), shape)
    with pytest.raises(ValueError, match="CSRTensor: values"):
        CSRTensor(Tensor(INDPTR), Tensor(COLS), Tensor(np.ones((6, 2), np.float32)), SHAPE)
    with pytest.raises(ValueError, match="CSRTensor: values"):
        CSRTensor(Tensor(INDPTR), Tensor(COLS), Tensor(np.ones((6, 4), np.float32)), SHAPE + (5,))
    with pytest.raises(ValueError, match="2-D CSRTensor only"):  # (MindSpore 2.10: "only support 2-D CSRTensor")
        CSRTensor(Tensor(INDPTR), Tensor(COLS), Tensor(np.ones((6, 5), np.float32)), SHAPE + (5,)).to_dense()
    with pytest.raises(ValueError, match="RowTensor: values"):
        RowTensor(Tensor([0], ms.int32), Tensor(np.ones((1, 3), np.float32)), (3, 2))
    coo = COOTensor(idx, vals, SHAPE)
    with pytest.raises(TypeError, match="ndarray"):
        coo * np.ones(SHAPE, np.float32)
    with pytest.raises(TypeError, match="ndarray"):
        coo / np.ones(SHAPE, np.float32)
    np.testing.assert_array_equal((coo * 2).values.asnumpy(), COO_VALS * 2)  # (a number scales the values)
