"""In-place writes inside a traced `if` (GRAPH_MODE construct), and ops.assign / AssignAdd / AssignSub on a
plain Tensor.

Expected values: MindSpore 2.10 (CPU) run for this task in its own venv on the same Cells, where a test says
so. Where MindSpore 2.10's own result contradicts its forward pass (an `else` side's `x.sub_(y)` dropped from
the output, a gradient that is not the derivative of the value), the expected value is worked by hand from
the documented in-place semantics and checked by central finite differences.
"""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, context, grad, nn, ops
from gradserve.ops import operations as P


class _TwoSides(nn.Cell):
    def construct(self, x, y):
        if x > y:
            P.AssignAdd()(x, y)
        else:
            P.AssignSub()(y, x)
        return x, y


class _InMethod(nn.Cell):
    def add_func(self, x1, y1):
        if x1 != y1:
            P.AssignAdd()(x1, y1)
        else:
            x1 = y1 - x1
        return x1

    def construct(self, x, y):
        if x < y:
            self.add_func(x, y)
        y = P.Sub()(x, y)
        return x, y


class _Nested(nn.Cell):
    def construct(self, x, y):
        x.add_(1)
        if x.sum() > 3:
            x.mul_(y)
            if y.sum() > 0:
                y.add_(x)
        else:
            x.sub_(y)
        return x * 2 + y


class _AssignInBranch(nn.Cell):
    def construct(self, x, y):
        if x.sum() > 0:
            ops.assign(x, y * 3)
        return x + y


class _LocalWritten(nn.Cell):
    def func(self, x1, y1):
        if x1 == y1:
            x1 = x1 - y1
        else:
            x1 = y1 - x1
        return x1

    def construct(self, x, y):
        if x < y:
            z = self.func(x, y)
            P.AssignAdd()(z, y)  # z made inside the branch: written there, an ordinary output
        else:
            z = x + y
        y = P.Sub()(z, y)
        return y


class _InputAndLocal(nn.Cell):
    def __init__(self):
        super().__init__()
        self.param = Parameter(Tensor(np.array(1, np.int32)), name="param")

    def construct(self, x, y):
        if x * 2 > y:
            P.AssignAdd()(x, y - self.param)
            z = x + y
            P.AssignSub()(z, self.param)
        else:
            z = x - y
        return z


@pytest.mark.parametrize("net, out, x_after", [(_LocalWritten, 1, 2), (_InputAndLocal, 6, 4)])
def test_tensor_made_in_a_branch_and_written_there_matches_mindspore(on_real_server, graph_mode, net, out, x_after):
    x, y = Tensor(np.array(2, np.int32)), Tensor(np.array(3, np.int32))
    assert int(net()(x, y).asnumpy()) == out  # MindSpore 2.10: 1 and 6
    assert (int(x.asnumpy()), int(y.asnumpy())) == (x_after, 3)


def _f32(v):
    return Tensor(np.array(v, np.float32))


@pytest.mark.parametrize("x, y, out, x_after, y_after", [(2, 3, (2, 1), 2, 1), (5, 3, (8, 3), 8, 3)])
def test_assign_add_sub_in_either_side_matches_mindspore(on_real_server, graph_mode, x, y, out, x_after, y_after):
    tx, ty = _f32(x), _f32(y)
    got = _TwoSides()(tx, ty)
    assert [float(o.asnumpy()) for o in got] == list(out)
    assert (float(tx.asnumpy()), float(ty.asnumpy())) == (x_after, y_after)  # written back, as MindSpore 2.10


@pytest.mark.parametrize("x, out", [(2, (5, 2)), (4, (4, 1))])
def test_write_in_a_method_called_in_a_branch_matches_mindspore(on_real_server, graph_mode, x, out):
    tx = _f32(x)
    got = _InMethod()(tx, _f32(3))
    assert [float(o.asnumpy()) for o in got] == list(out)
    assert float(tx.asnumpy()) == out[0]


def test_assign_in_branch_values_and_gradient_match_mindspore(on_real_server, graph_mode):
    x, y = _f32([1.0, 2.0]), _f32([0.5, 1.0])
    np.testing.assert_allclose(_AssignInBranch()(x, y).asnumpy(), [2.0, 4.0])
    np.testing.assert_allclose(x.asnumpy(), [1.5, 3.0])
    gx, gy = grad(_AssignInBranch(), grad_position=(0, 1))(_f32([1.0, 2.0]), y)
    np.testing.assert_allclose(gx.asnumpy(), [1.0, 1.0])  # MindSpore 2.10: Assign's result reads x
    np.testing.assert_allclose(gy.asnumpy(), [1.0, 1.0])


def _nested_by_hand(x, y):
    x = x + 1
    if x.sum() > 3:
        x = x * y
        if y.sum() > 0:
            y = y + x
    else:
        x = x - y
    return x * 2 + y, x, y


@pytest.mark.parametrize("x", [[1.0, 2.0], [0.0, 0.5]])
def test_writes_before_and_inside_nested_ifs_follow_inplace_semantics(on_real_server, graph_mode, x):
    y = np.array([0.5, 1.0], np.float32)
    want, x_after, _ = _nested_by_hand(np.array(x, np.float32), y)
    tx, ty = _f32(x), _f32(y)
    np.testing.assert_allclose(_Nested()(tx, ty).asnumpy(), want)
    np.testing.assert_allclose(tx.asnumpy(), x_after)  # the write before the `if` counted once
    # y keeps its value in the caller (MindSpore 2.10 CPU: [0.5, 1.0] after either call): the outer `if` does not
    # read y and its sides write in place, so MindSpore's GRAPH_MODE writes none of y's later writes back
    # (_trace.InputWrites.freeze); the output above still sees y's write
    np.testing.assert_allclose(ty.asnumpy(), y)
    gx, gy = grad(_Nested(), grad_position=(0, 1))(_f32(x), _f32(y))
    eps = 1e-3
    for g, which in ((gx, 0), (gy, 1)):
        fd = []
        for i in range(2):
            hi, lo = [np.array(x, np.float64), y.astype(np.float64)], [np.array(x, np.float64), y.astype(np.float64)]
            hi[which][i] += eps
            lo[which][i] -= eps
            fd.append((_nested_by_hand(*hi)[0].sum() - _nested_by_hand(*lo)[0].sum()) / (2 * eps))
        np.testing.assert_allclose(g.asnumpy(), fd, rtol=1e-3)


def test_assign_add_on_a_tensor_in_pynative_matches_mindspore(on_real_server):
    x = Tensor(np.array(2, np.int32))
    P.AssignAdd()(x, Tensor(np.array(3, np.int32)))
    assert int(x.asnumpy()) == 5  # MindSpore 2.10 PyNative: 5
    z = _f32([1.0, 2.0])
    ops.assign(z, _f32([5.0, 6.0]))
    np.testing.assert_allclose(z.asnumpy(), [5.0, 6.0])
    with pytest.raises(TypeError, match="Parameter or a Tensor"):
        ops.assign(3.0, z)


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_inplace_index_add_writes_the_tensor_matches_mindspore(on_real_server, mode):
    context.set_context(mode=mode)

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.op = P.InplaceIndexAdd(axis=1)

        def construct(self, x, i, u):
            self.op(x, i, u)
            return x * 1

    x = _f32([[1, 2, 3], [3, 4, 5]])
    out = Net()(x, Tensor(np.array([2, 0, 2], np.int32)), _f32([[1, 2, 3], [7, 8, 9]]))
    want = [[3.0, 2.0, 7.0], [11.0, 4.0, 21.0]]  # MindSpore 2.10, both modes (index 2 twice: both added)
    np.testing.assert_allclose(out.asnumpy(), want)
    np.testing.assert_allclose(x.asnumpy(), want)
    context.set_context(mode=context.PYNATIVE_MODE)
