"""What seed 16 of MindSpore's own suite found: a list / tuple of traced Tensors used as an operand (its gradient
was silently 0), Tensor.max / min overloads by mode, and ops its tests call. Every expected number below was
printed by MindSpore 2.10 on CPU for the same calls (or is a closed form, named)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops
from gradserve.ops import operations as P

X = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.float32)


@pytest.fixture(autouse=True)
def _mode_restored():
    """Tests here set the execution mode; the next test finds the one it had."""
    before = ms.get_context("mode")
    yield
    ms.set_context(mode=before)


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
        ms.set_context(mode=ms.GRAPH_MODE)


def test_matmul_of_a_vector_follows_numpy(on_real_server):
    a, b = Tensor(np.array([[1, 2]], np.float32)), Tensor(np.array([3, -1], np.float32))
    np.testing.assert_array_equal(a.matmul(b).asnumpy(), [1])  # [1, 2] @ [2] -> [1]
    assert ops.matmul(b, b).shape == () and float(ops.matmul(b, b).asnumpy()) == 10
    np.testing.assert_array_equal(ops.matmul(b, Tensor(np.ones((4, 2, 3), np.float32))).shape, (4, 3))
    np.testing.assert_array_equal(ops.grad(lambda v: ops.matmul(a, v).sum())(b).asnumpy(), [1, 2])


def test_selu_of_integers_and_deepcopy(on_real_server):
    v = np.array([-20, -12, -1, 0, 1, 24, 127], np.int8)  # MindSpore 2.10's CPU kernel: x, or trunc(expm1(x))
    out = P.SeLU()(Tensor(v))
    assert out.dtype == ms.int8
    np.testing.assert_array_equal(out.asnumpy(), [-1, 0, 0, 0, 1, 24, 127])
    with pytest.raises(TypeError, match="(?i)SeLU.*int16"):
        P.SeLU()(Tensor(v.astype(np.int16)))
    x = Tensor(np.array([1.1, 2.5, -1.5], np.float32))
    np.testing.assert_array_equal(ops.deepcopy(x).asnumpy(), x.asnumpy())
    np.testing.assert_array_equal(ops.grad(lambda x: ops.deepcopy(x).sum())(x).asnumpy(), [1, 1, 1])


def test_masked_scatter_and_its_gradient(on_real_server):
    x, src = Tensor(np.ones((2, 3), np.float32)), Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    mask = Tensor(np.array([True, False, True]))  # broadcast over the rows; source taken in row-major order
    np.testing.assert_array_equal(x.masked_scatter(mask, src).asnumpy(), [[0, 1, 1], [2, 1, 3]])
    w = Tensor(np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3))
    gx, gs = ops.grad(lambda x, s: (x.masked_scatter(mask, s) * w).sum(), (0, 1))(x, src)
    np.testing.assert_array_equal(gx.asnumpy(), [[0, 2, 0], [0, 5, 0]])
    np.testing.assert_array_equal(gs.asnumpy(), [[1, 3, 4], [6, 0, 0]])
    with pytest.raises(ValueError, match="number of ones in mask"):
        Tensor(np.ones(3, np.float32)).masked_scatter(Tensor(np.ones(3, bool)), Tensor(np.ones(2, np.float32)))


def test_backward_classes_nllloss_and_l2normalize(on_real_server):
    from gradserve.ops.operations import _grad_ops as G
    x = Tensor(np.array([[0.53, 0.74, -2.12], [1.29, -0.34, -1.13]], np.float32))
    target, weight = Tensor(np.array([0, 1], np.int32)), Tensor(np.array([0.45, -0.32, 1.21], np.float32))
    total = Tensor(np.array(0.13, np.float32))
    dx = G.NLLLossGrad("mean")(x, Tensor(np.array(1.23, np.float32)), target, weight, total)
    np.testing.assert_allclose(dx.asnumpy(), [[-4.25769234, 0, 0], [0, 3.02769232, 0]], rtol=1e-6)
    dx = G.NLLLossGrad("none", ignore_index=1)(x, Tensor(np.array([3.24, -2.13], np.float32)), target, weight, total)
    np.testing.assert_allclose(dx.asnumpy(), [[-1.458, 0, 0], [0, 0, 0]], rtol=1e-6)
    # the norm is bounded below by epsilon (row 1's is 0): MindSpore 2.10 gives 7500 and 23000 there
    xi = Tensor(np.array([[1e-6, 2e-6], [0.0, 0.0]], np.float32))
    y, dy = Tensor(np.array([[0.3, 0.4], [0.5, 0.6]], np.float32)), Tensor(np.array([[1, 2], [3, 5]], np.float32))
    np.testing.assert_allclose(G.L2NormalizeGrad(1, 1e-4)(xi, y, dy).asnumpy(), [[6700, 15600], [7500, 23000]],
                               rtol=1e-5)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_a_construct_returning_a_slice_of_a_tensor(on_real_server, mode):
    class Net(nn.Cell):  # MindSpore's test_grad_operation_with_invalid_ones_like_output
        def __init__(self):
            super().__init__()
            self.w, self.b = Parameter(Tensor([6], ms.int32), name="w"), Parameter(Tensor([2], ms.int32), name="b")

        def construct(self, x):
            return self.w * x + self.b, "a", None, slice(x, 1, 2)

    ms.set_context(mode=mode)
    try:
        x = Tensor([10], ms.int32)
        out = Net()(x)
        assert out[1:3] == ("a", None) and isinstance(out[3], slice) and (out[3].stop, out[3].step) == (1, 2)
        np.testing.assert_array_equal(out[3].start.asnumpy(), [10])
        # the default sens skips the slice: d(w x + b)/dx = w (MindSpore 2.10: [6])
        np.testing.assert_array_equal(ops.GradOperation()(Net())(x).asnumpy(), [6])
    finally:
        ms.set_context(mode=ms.GRAPH_MODE)


def test_numpy_unique_in_a_jit_function(on_real_server):
    @ms.jit()
    def f(x):
        return ms.numpy.unique(x, return_inverse=True)

    values, inverse = f(Tensor(np.array([[4, 1, 4], [3, 3, 5]], np.int32)))
    np.testing.assert_array_equal(values.asnumpy(), [4, 1, 3, 5])  # first appearance, as MindSpore 2.10's
    np.testing.assert_array_equal(inverse.asnumpy(), [0, 1, 0, 2, 2, 3])
    assert inverse.dtype == ms.int32
    with pytest.raises(TypeError, match="expect Tensor"):
        ms.numpy.unique([1, 2])


def test_bad_shape_and_flag_types_are_type_errors(on_real_server):
    x = Tensor(np.ones(1, np.float32))
    with pytest.raises(TypeError, match=r"reshape\(\): argument 'shape' \(position 2\) must be tuple of int, not float"):
        x.reshape(1, 1.1)  # it was reshape(1, 1): 1.1 truncated
    with pytest.raises(TypeError, match="Reshape"):
        ops.reshape(x, (1, True))
    with pytest.raises(TypeError, match="keepdims"):
        x.max(0, [1], initial=None)
    with pytest.raises(TypeError, match="must be Tensor"):
        Tensor.all(1, keep_dims=True)


def test_an_if_whose_sides_raise_or_differ_is_decided_by_the_value(on_real_server):
    class RaiseNet(nn.Cell):  # MindSpore's test_none_is_return_of_sub_graph_control_flow_raise
        def inner_func(self, x):
            if x == 2:
                raise ValueError("The input should not be 2")
            return None

        def construct(self, x):
            self.inner_func(x)
            return x * 3

    @ms.jit
    def func(x):  # sides no cond joins (other dict keys): MindSpore 2.10 runs the side taken
        if x:
            return None, x, {"1": x}
        return None, x * 2, {"2": x * 2}

    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        net = RaiseNet()
        assert int(net(Tensor(1)).asnumpy()) == 3
        with pytest.raises(ValueError, match="should not be 2"):
            net(Tensor(2))
        np.testing.assert_array_equal(ops.grad(net)(Tensor(1.0)).asnumpy(), 3.0)
        out = func(Tensor(10))
        assert out[0] is None and int(out[1]) == 10 and list(out[2]) == ["1"] and int(out[2]["1"]) == 10
        out = func(Tensor(0))
        assert list(out[2]) == ["2"] and int(out[2]["2"]) == 0
    finally:
        ms.set_context(mode=ms.GRAPH_MODE)


def test_tensor_min_takes_two_positionals_in_a_jit_function(on_real_server):
    @ms.jit
    def f(x):
        return x.min(None, False, None)  # MindSpore 2.10: initial is keyword-only, a TypeError

    with pytest.raises(TypeError):
        f(Tensor(np.array([1, 2, 3], np.int32)))


def test_grad_in_graph_mode_sees_the_numpy_form_of_max(on_real_server):
    a = Tensor(np.array([[3.0, 1, 3], [2, 5, 5]], np.float32))

    def f(a):
        return a.max(1)[0].sum()  # GRAPH_MODE: a.max(1) is [3, 5], [0] its first element

    ms.set_context(mode=ms.GRAPH_MODE)  # (PyNative is the default, as MindSpore 2.x's)
    np.testing.assert_array_equal(ops.grad(f)(a).asnumpy(), [[1, 0, 0], [0, 0, 0]])  # MindSpore 2.10's
    ms.set_context(mode=ms.PYNATIVE_MODE)
    try:  # PyNative: (values, indices), [0] the values
        np.testing.assert_array_equal(ops.grad(f)(a).asnumpy(), [[1, 0, 0], [0, 1, 0]])
    finally:
        ms.set_context(mode=ms.GRAPH_MODE)
