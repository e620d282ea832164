"""MindSpore's in-place Tensor methods and item assignment (ops/_inplace.py, ops/_item_assign.py).

Expected values: NumPy (the same writes on arrays), by hand, and MindSpore 2.10 CPU run in /work/wt/_msvenv
(GRAPH_MODE, where its in-place ops write: `x.add_(y); (x*x).sum()` at x=[1,2,3], y=[1,1,2] gives 38 and the
gradient [4,6,10] to both; `x.mul_(2); (x*y).sum()` gives 18, d/dx [2,2,4], d/dy [2,4,6];
`z = x*1; z[1:] = y[:2]; (z*z).sum()` gives 3, d/dx [2,0,0], d/dy [2,2,0]; x[[True,False,True]] reads rows 0 and
2; a read at index False / [] / (False, 1) is an IndexError). In PyNative, MindSpore 2.10's CPU in-place kernels
write nothing (checked: `x.add_(10)` leaves x, `y[0].add_(1)` leaves y); its documentation's in-place semantics are
kept: a write through a view (y[0]) lands in y (gradserve._views)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn

X = [1.0, 2.0, 3.0]
Y = [1.0, 1.0, 2.0]


def test_methods_rebind_the_object_and_return_it(fake):
    x = Tensor([1.0, 2.0])
    alias = x
    assert x.add_(1) is x
    np.testing.assert_array_equal(alias.asnumpy(), [2.0, 3.0])
    x.mul_(Tensor([2.0, 3.0])).sub_(1, alpha=2)
    np.testing.assert_array_equal(x.asnumpy(), [2.0, 7.0])
    x.div_(Tensor([4.0, 2.0]), rounding_mode="floor")
    np.testing.assert_array_equal(x.asnumpy(), [0.0, 3.0])
    i = Tensor([1, 2, 3])
    i.fill_(5)
    assert i.dtype == ms.int64 and i.asnumpy().tolist() == [5, 5, 5]
    i.add_(1.7)  # the result keeps the object's dtype
    assert i.dtype == ms.int64 and i.asnumpy().tolist() == [6, 6, 6]
    z = Tensor([1.0, -2.0, 3.0])
    z.clamp_(0, 2)
    np.testing.assert_array_equal(z.asnumpy(), [1.0, 0.0, 2.0])
    z.copy_(Tensor([7.0]))  # broadcast into the object's shape
    np.testing.assert_array_equal(z.asnumpy(), [7.0, 7.0, 7.0])
    z.zero_()
    np.testing.assert_array_equal(z.asnumpy(), [0.0, 0.0, 0.0])
    z.masked_fill_(Tensor([True, False, True]), 4.0).exp_()
    np.testing.assert_allclose(z.asnumpy(), np.exp([4.0, 0.0, 4.0]), rtol=1e-6)


def test_a_result_of_another_shape_is_refused_naming_the_method(fake):
    with pytest.raises(ValueError, match=r"Tensor.add_.*\[2, 3\].*\[3\]"):
        Tensor([1.0, 2.0, 3.0]).add_(Tensor(np.ones((2, 3), np.float32)))


def test_an_in_place_method_through_a_view_writes_its_source(fake):
    y = Tensor(np.zeros((2, 3), np.float32))
    y[0].add_(100)
    np.testing.assert_array_equal(y.asnumpy(), [[100, 100, 100], [0, 0, 0]])


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_gradient_through_in_place_ops_in_a_cell(fake, mode):
    ms.set_context(mode=mode)

    class AddThenSquare(nn.Cell):
        def construct(self, x, y):
            x.add_(y)
            return (x * x).sum()

    class MulThenDot(nn.Cell):
        def construct(self, x, y):
            x.mul_(2.0)
            return (x * y).sum()

    class WriteSlice(nn.Cell):
        def construct(self, x, y):
            z = x * 1
            z[1:] = y[:2]
            return (z * z).sum()

    for cell, value, gx, gy in ((AddThenSquare(), 38.0, [4, 6, 10], [4, 6, 10]),
                                (MulThenDot(), 18.0, [2, 2, 4], [2, 4, 6]),
                                (WriteSlice(), 3.0, [2, 0, 0], [2, 2, 0])):
        assert float(cell(Tensor(X), Tensor(Y)).asnumpy()) == value
        dx, dy = ms.grad(cell, grad_position=(0, 1))(Tensor(X), Tensor(Y))
        np.testing.assert_allclose(dx.asnumpy(), gx)
        np.testing.assert_allclose(dy.asnumpy(), gy)


def test_gradient_through_in_place_ops_in_a_function(fake):
    def f(a):
        a.mul_(a)
        a.add_(1.0)
        return a.sum()
    np.testing.assert_allclose(ms.grad(f)(Tensor(X)).asnumpy(), [2.0, 4.0, 6.0])  # d/da sum(a*a + 1), by hand


A = np.arange(120.0, dtype=np.float32).reshape(4, 5, 6)
INDEXES = [True, [True, 0], ([2, 3], True), (slice(1, 3), ..., [1, 3, 2]), [True, False, True, False],
           (..., slice(None, 6, 2)), (slice(None, None, -1), 1), (np.array([0, 3]), slice(1, 4), 2)]


@pytest.mark.parametrize("index", INDEXES, ids=range(len(INDEXES)))
def test_reads_and_writes_follow_numpy(fake, index):
    np.testing.assert_array_equal(Tensor(A)[index].asnumpy(), A[index])
    t, a = Tensor(A), A.copy()
    t[index] += 2
    a[index] += 2
    np.testing.assert_array_equal(t.asnumpy(), a)


def test_bool_mask_and_list_writes(fake):
    t, a = Tensor(A[0]), A[0].copy()
    t[t > 10] = -1.0
    a[a > 10] = -1.0
    np.testing.assert_array_equal(t.asnumpy(), a)
    t[:, [0, 2]] = Tensor(np.array([7.0, 8.0], np.float32))
    a[:, [0, 2]] = [7.0, 8.0]
    np.testing.assert_array_equal(t.asnumpy(), a)


@pytest.mark.parametrize("index", [False, [], [False, False], (False, 1)])
def test_reads_that_select_nothing_are_refused_as_mindspore_does(fake, index):
    t = Tensor(A)
    with pytest.raises(IndexError):
        t[index]
    t[index] = 1.0  # a write there is a no-op (MindSpore 2.10 too)
    np.testing.assert_array_equal(t.asnumpy(), A)


def test_traced_reads_and_writes_and_their_gradients(fake):
    def f(x):
        y = x[[True, False, True, False]]  # rows 0 and 2
        z = x * 1
        z[(slice(None), [1, 0, 1])] = 0.0  # columns 0 and 1 zeroed
        z[z > 4.0] = 1.0  # a traced mask: a select
        return (y * y).sum() + (z * x).sum()
    x = np.arange(8.0, dtype=np.float32).reshape(4, 2) / 2
    # by hand: rows 0, 2 give 2x; z is 0 everywhere (both columns written), so the second term adds 0 * x
    np.testing.assert_allclose(ms.grad(f)(Tensor(x)).asnumpy(), np.array([[1, 1], [0, 0], [1, 1], [0, 0]]) * 2 * x)


def test_a_write_through_a_traced_index_array_stops_the_gradient_there(fake):
    # was refused; the rows named by the traced i are overwritten, so they get no gradient (by hand)
    def f(x, i):
        z = x * 1
        z[i] = 0.0
        return z.sum()
    want = np.ones_like(X)
    want[[0, 2]] = 0.0
    np.testing.assert_array_equal(ms.grad(f)(Tensor(X), Tensor([0, 2])).asnumpy(), want)


def test_an_in_place_write_to_a_cell_attribute_inside_construct_is_refused_and_leaves_it(fake):
    class Accumulate(nn.Cell):
        def __init__(self):
            super().__init__()
            self.total = Tensor([1.0, 2.0])

        def construct(self, x):
            self.total.add_(x)
            return self.total * 2

    cell = Accumulate()
    with pytest.raises(RuntimeError, match=r"Tensor.add_: .*make it a Parameter"):
        cell(Tensor([1.0, 1.0]))
    np.testing.assert_array_equal(cell.total.asnumpy(), [1.0, 2.0])
