"""What seed 16 of MindSpore's own suite found: a list / tuple of traced Tensors used as an operand (its gradient
was silently 0), Tensor.max / min overloads by mode, and ops its tests call. Every expected number below was
printed by MindSpore 2.10 on CPU for the same calls (or is a closed form, named)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops
from gradserve.ops import operations as P

X = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.float32)


def test_tuple_of_traced_tensors_as_an_operand_carries_the_gradient(on_real_server):
    x, a = Tensor(X), Tensor(np.ones(3, np.float32))
    # (x, x) + a is stack((x, x)) + a: d/dx of its [1] is 1 (it was 0: the tuple's values read as a constant)
    np.testing.assert_array_equal(ops.grad(lambda x: ((x, x) + a)[1])(x).asnumpy(), np.ones((3, 3)))
    np.testing.assert_array_equal(ops.grad(lambda x: P.ReduceSum()((x, 2 * x)))(x).asnumpy(), np.full((3, 3), 3))


def test_vmap_of_a_cell_list_differentiates_each_cell(on_real_server):
    class Net(nn.Cell):  # MindSpore's test_ms_vmap_cell_list: split's tuple + tuple + a Parameter
        def __init__(self):
            super().__init__()
            self.split, self.reducesum = P.Split(), P.ReduceSum()
            self.a = Parameter(Tensor([1, 1, 1], ms.float32), name="a")

        def construct(self, t1, t2):
            return self.reducesum(self.split(t1) + self.split(t2) + self.a, 0)

    class VmapNet(nn.Cell):
        def __init__(self):
            super().__init__()
            self.net = nn.CellList([Net(), Net(), Net()])
            self.a = Parameter(Tensor([[1, 2, 0], [3, 2, 0], [3, 4, 0]], ms.float32))

        def construct(self, x):
            return ops.vmap(self.net, (None, None), 0)(self.a, x)

    net, x = VmapNet(), Tensor(X)
    np.testing.assert_array_equal(net(x).asnumpy(), np.stack([[[4, 6, 5], [9, 9, 8], [12, 14, 11]]] * 3))
    np.testing.assert_array_equal(ops.grad(net)(x).asnumpy(), np.full((3, 3), 3))


class _Max(nn.Cell):
    def __init__(self, x, name):
        super().__init__()
        self.x, self.name = x, name

    def construct(self, *args, **kwargs):
        return getattr(self.x, self.name)(*args, **kwargs)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_tensor_max_min_overloads_by_mode(on_real_server, mode):
    ms.set_context(mode=mode)
    try:
        x = Tensor(np.array([[0, 3], [2, 1]], np.float32))
        mx, mn = _Max(x, "max"), _Max(x, "min")
        # positional (axis, keepdims): PyNative's dim overload (values, indices); GRAPH_MODE's NumPy form (values)
        out = mx(0, False)
        if mode == ms.GRAPH_MODE:
            np.testing.assert_array_equal(out.asnumpy(), [2, 3])
        else:
            np.testing.assert_array_equal(out[0].asnumpy(), [2, 3])
            np.testing.assert_array_equal(out[1].asnumpy(), [1, 0])
        # a NumPy-form keyword makes the positionals axis, keepdims in both modes
        np.testing.assert_array_equal(mx(0, True, initial=None).asnumpy(), [[2, 3]])
        np.testing.assert_array_equal(mn(0, keepdims=True).asnumpy(), [[0, 1]])
        values, index = mn(dim=1)  # dim= is the (values, indices) form in both modes
        np.testing.assert_array_equal(values.asnumpy(), [0, 1])
        np.testing.assert_array_equal(index.asnumpy(), [0, 1])
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
