"""MindSpore idioms of jit / graph mode and custom derivatives, found by running MindSpore's own
test files through the SDK: keyword arguments to jit, dynamic-rank set_inputs, custom Functions and
bprop, hooks in graph mode, random draws, parameters without requires_grad. Expected values come from MindSpore 2.10 (CPU, PyNative) run on the same programs for this task
(/work/wt/_msvenv), or from NumPy / finite differences / by hand where noted."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops


def close(t, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(t.asnumpy() if isinstance(t, Tensor) else t), want, rtol=rtol, atol=atol)


def test_jit_passes_var_keyword_and_keyword_only_arguments(fake):
    @ms.jit
    def foo(x, **kwargs):
        return x + kwargs.get('y')

    @ms.jit
    def bar(x, *, scale=2.0):
        return x * scale

    x = Tensor(np.array([3.0, 4.0], np.float32))
    close(foo(x, y=1), [4.0, 5.0])                   # MindSpore 2.10: [4. 5.]
    close(foo(x, y=Tensor(np.array([1.0, 2.0], np.float32))), [4.0, 6.0])
    close(bar(x), [6.0, 8.0])
    close(bar(x, scale=3.0), [9.0, 12.0])            # a second keyword value: a second trace, not the first's
    close(ms.grad(lambda a: foo(a, y=a).sum())(x), [2.0, 2.0])


class _Mul3(ms._Function):
    @staticmethod
    def forward(ctx, x, y, k):
        ctx.save_for_backward(x, y)
        ctx.k = k
        return x * x * y * k, x + y

    @staticmethod
    def backward(ctx, dz, dw):
        x, y = ctx.saved_tensors
        return 2 * x * y * ctx.k * dz + dw, x * x * ctx.k * dz + dw, None


class _BroadcastGrad(ms._Function):
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, d):
        g = Tensor(np.array([[1, 2, 3], [4, 5, 6]], np.int64))
        return g, g


class _NonDiff(ms._Function):
    @staticmethod
    def forward(ctx, x):
        z = x * 2
        ctx.mark_non_differentiable(z)
        return z

    @staticmethod
    def backward(ctx, dz):
        return dz + 1


class _WrongCount(ms._Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, d):
        return d


def test_custom_function_forward_backward_ctx(fake):
    # MindSpore 2.10 (mindspore._Function, ops.GradOperation(get_all=True)) on the same classes
    x, y = Tensor(np.array([1.0, 2.0, 3.0], np.float32)), Tensor(np.array([0.5, -1.0, 2.0], np.float32))
    z, w = _Mul3.apply(x, y, 2.0)                       # outside a gradient: forward alone
    close(z, [1.0, -8.0, 36.0])
    close(w, [1.5, 1.0, 5.0])
    gx, gy = ops.GradOperation(get_all=True)(lambda a, b: _Mul3.apply(a, b, 2.0))(x, y)
    close(gx, [3.0, -7.0, 25.0])                        # backward's rule (saved tensors, ctx.k), not autodiff's
    close(gy, [3.0, 9.0, 19.0])
    gx, gy = ops.GradOperation(get_all=True)(_BroadcastGrad.apply)(x, Tensor(np.ones((2, 3), np.float32)))
    assert gx.dtype == ms.float32 and gy.dtype == ms.float32   # int64 gradients cast to the inputs' dtype
    close(gx, [5.0, 7.0, 9.0])                          # summed down to x's broadcast shape
    close(gy, [[1, 2, 3], [4, 5, 6]])
    (g,) = ops.GradOperation(get_all=True)(_NonDiff.apply)(x)
    close(g, [0.0, 0.0, 0.0])                           # only a non-differentiable output: backward not called
    with pytest.raises(RuntimeError, match="wrong number of gradients"):
        ops.GradOperation(get_all=True)(_WrongCount.apply)(x, y)


class _ExtraGrads(nn.Cell):
    def construct(self, x, y):
        return x * y * y

    def bprop(self, x, y, out, dout):
        return x + y, x * y, out, dout


@pytest.mark.parametrize("mode", [ms.PYNATIVE_MODE, ms.GRAPH_MODE])
def test_bprop_returning_more_gradients_than_inputs_keeps_the_first(fake, mode):
    ms.set_context(mode=mode)
    # MindSpore 2.10, both modes: (3, 2) -- the extras (out, dout) are ignored
    gx, gy = ops.GradOperation(get_all=True)(_ExtraGrads())(Tensor(1, ms.float32), Tensor(2, ms.float32))
    close(gx, 3.0)
    close(gy, 2.0)


def test_dynamic_rank_placeholder_in_set_inputs(fake):
    # Tensor(dtype=...) is MindSpore's dynamic-rank placeholder (shape [-2]): set_inputs accepts any shape
    net = nn.Dense(3, 2)
    net.set_inputs(Tensor(dtype=ms.float32))
    assert Tensor(dtype=ms.float32).shape == (-2,)
    x = Tensor(np.ones((4, 3), np.float32))
    close(net(x), ops.matmul(x, net.weight.T) + net.bias)
    with pytest.raises(ValueError, match="input_data or shape"):
        Tensor()


def test_random_draws_are_eager_and_seeded(fake):
    # a seed's sequence: MindSpore 2.10 keeps one generator per (op, seed) and advances it at each call (two calls differ; set_seed starts it again: its venv)
    ms.set_seed(1)
    a, a2 = ops.randn(2, 3, seed=7), ops.randn(2, 3, seed=7)
    assert a.shape == (2, 3) and a.dtype == ms.float32 and not np.array_equal(a.asnumpy(), a2.asnumpy())
    ms.set_seed(1)
    close(ops.randn((2, 3), seed=7), a.asnumpy())
    assert ops.randint(0, 5, (4,)).dtype == ms.int64 and ops.rand_like(a).shape == (2, 3)
    # inside grad, each run draws the sequence's next values, as the eager calls do
    ms.set_seed(1)
    for want in (a, a2):
        close(ms.grad(lambda u: (u * ops.randn(2, 3, seed=7)).sum())(a), want.asnumpy())


class _Scale(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([4.0, 5.0, 6.0], np.float32)), name="w")

    def construct(self, x):
        return (self.w * x).sum()


def test_parameter_hooks_act_in_graph_mode_and_recompile(on_real_server):
    # by hand, as MindSpore 2.10's tests/st/compiler/tensor_hook assert: d/dw sum(w * x) = x, through the hooks
    ms.set_context(mode=ms.GRAPH_MODE)
    net = _Scale()
    grad_net = ops.GradOperation(get_by_list=True)(net, net.trainable_params())
    x = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    close(grad_net(x)[0], [1.0, 2.0, 3.0])
    h2 = net.w.register_hook(lambda g: g * 2)
    close(grad_net(x)[0], [2.0, 4.0, 6.0])  # the cached trace is not reused: the hook applies
    h3 = net.w.register_hook(lambda g: g * 3)
    close(grad_net(x)[0], [6.0, 12.0, 18.0])
    h2.remove()
    close(grad_net(x)[0], [3.0, 6.0, 9.0])
    h3.remove()
    close(grad_net(x)[0], [1.0, 2.0, 3.0])


def test_an_input_hook_is_not_carried_to_another_input_in_graph_mode(on_real_server):
    ms.set_context(mode=ms.GRAPH_MODE)
    net = _Scale()
    grad_x = ops.GradOperation()(net)
    x1 = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    x1.register_hook(lambda g: g * 2)
    close(grad_x(x1), [8.0, 10.0, 12.0])  # d/dx = w, doubled by x1's hook
    x2 = Tensor(np.array([7.0, 8.0, 9.0], np.float32))
    close(grad_x(x2), [4.0, 5.0, 6.0])  # same signature, no hook: not the hooked trace


class _ThreeParams(nn.Cell):
    def __init__(self):
        super().__init__()
        self.p1 = Parameter(Tensor(np.array([1.0], np.float32)), name="p1", requires_grad=False)
        self.p2 = Parameter(Tensor(np.array([1.0], np.float32)), name="p2")
        self.p2.requires_grad = False

    def construct(self, x):
        return self.p1 * x * self.p2 + x


def test_a_parameter_without_requires_grad_gets_zeros_when_asked_for(on_real_server):
    # MindSpore 2.10's tests/st/pynative/grad/test_common_grad (test_pynative_requires_grad_use_grad_operation)
    ms.set_context(mode=ms.PYNATIVE_MODE)
    net = _ThreeParams()
    x = Tensor(np.array([3.0], np.float32))
    gx, (g1, g2) = ops.GradOperation(get_all=True, get_by_list=True)(net, [net.p1, net.p2])(x)
    close(g1, [0.0])
    close(g2, [0.0])
    close(gx[0], [2.0])  # d/dx (p1 p2 x + x): the inputs' gradients are unchanged


class _FrozenLate(nn.Cell):
    """p2 is used, then set requires_grad=False inside construct (MindSpore's test_auto_grad)."""
    def __init__(self):
        super().__init__()
        self.p1 = Parameter(Tensor(2.0, ms.float32), name="p1")
        self.p2 = Parameter(Tensor(3.0, ms.float32), name="p2")

    def construct(self, x):
        z = ops.mul(x, self.p1) * self.p2
        self.p2.requires_grad = False
        return z


_WEIGHT_GRADS = {
    "GradOperation": lambda net, x: ops.GradOperation(get_by_list=True)(net, [net.p1, net.p2])(x),
    "grad": lambda net, x: ms.grad(net, grad_position=None, weights=[net.p1, net.p2])(x),
    "value_and_grad": lambda net, x: ms.value_and_grad(net, grad_position=None, weights=[net.p1, net.p2])(x)[1],
}


@pytest.mark.parametrize("api", sorted(_WEIGHT_GRADS))
@pytest.mark.parametrize("mode, want_p2", [(ms.PYNATIVE_MODE, 0.0), (ms.GRAPH_MODE, 8.0)])
def test_requires_grad_false_zeroes_a_named_weight_in_pynative_only(fake, api, mode, want_p2):
    # MindSpore 2.10 (CPU), all three interfaces: (12, 0) in PyNative -- requires_grad is read when the
    # forward pass ends --, (12, 8) in GRAPH_MODE, where requires_grad does not change the gradient
    ms.set_context(mode=mode)
    net = _FrozenLate()
    g1, g2 = _WEIGHT_GRADS[api](net, Tensor(np.array([4.0], np.float32)))
    close(g1, 12.0)  # d/dp1 of x p1 p2 = x p2
    close(g2, want_p2)  # d/dp2 = x p1 = 8 where not zeroed


def test_reverse_v2_flips_its_axes_and_checks_them(fake):
    # MindSpore 2.10: ReverseV2(axis) takes a list / tuple of ints (an int or float axis: TypeError when the
    # primitive is made); a repeated or out-of-range axis: ValueError when called
    x = Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    close(ops.ReverseV2(axis=[1, 0])(x), [[5, 4, 3], [2, 1, 0]])
    close(ops.ReverseV2(axis=(-1,))(x), [[2, 1, 0], [5, 4, 3]])
    close(ops.ReverseV2(axis=())(x), [[0, 1, 2], [3, 4, 5]])
    close(ops.grad(lambda t: (ops.ReverseV2(axis=(0,))(t) * Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))).sum())(x),
          [[3, 4, 5], [0, 1, 2]])
    for bad in (0, 0.1):
        with pytest.raises(TypeError, match=r"For 'ReverseV2', the type of 'axis' should be one of "
                                            r"'\[list of int, tuple of int\]'"):
            ops.ReverseV2(bad)
    with pytest.raises(TypeError, match="axis"):
        ops.ReverseV2([0.5])
    with pytest.raises(ValueError, match="duplicate"):
        ops.ReverseV2(axis=(0, -2))(x)
    with pytest.raises(ValueError, match="range"):
        ops.ReverseV2(axis=(5,))(x)


class _WithConstantOutput(ms._Function):
    @staticmethod
    def forward(ctx, x, y):
        t = x * x
        return t + y, 4, t

    @staticmethod
    def backward(ctx, *douts):
        assert douts[1] is None  # the constant output's gradient (MindSpore 2.10: None)
        return douts[0] * 3, douts[2] * 4


def test_custom_function_with_a_non_tensor_output(fake):
    # MindSpore 2.10: backward gets (dz, None, dt); the gradients (3, 4) per element; forward's outputs as given
    x, y = Tensor(np.array([2.0, 2.0], np.float32)), Tensor(np.array([3.0, 3.0], np.float32))
    gx, gy = ops.GradOperation(get_all=True)(_WithConstantOutput.apply)(x, y)
    close(gx, [3.0, 3.0])
    close(gy, [4.0, 4.0])

    @ms.jit
    def f(a, b):
        return _WithConstantOutput.apply(a, b)
    z, four, t = f(x, y)
    assert four == 4
    close(z, [7.0, 7.0])
    close(t, [4.0, 4.0])


def test_bias_add_refuses_operands_of_two_dtypes(fake):
    # MindSpore 2.10: "For primitive[BiasAdd], the input type must be same." (float32 input, float16 bias)
    x = Tensor(np.ones((2, 3, 4), np.float32))
    with pytest.raises(TypeError, match="BiasAdd.*same"):
        ops.BiasAdd(data_format="NCHW")(x, Tensor(np.array([3, 5, 7], np.float16)))
    with pytest.raises(TypeError, match="BiasAdd.*same"):
        ops.bias_add(x, Tensor(np.array([3, 5, 7], np.int32)))
    close(ops.bias_add(x, Tensor(np.array([3, 5, 7], np.float32)))[:, :, 0], [[4, 6, 8], [4, 6, 8]])


def test_standard_library_functions_run_as_python_inside_jit(fake):
    # MindSpore 2.10 (test_function_as_arg): copy.deepcopy, which its graph compiler cannot compile (a for...else
    # inside), runs as Python within jit: deepcopy(x) + x is 2x, and its gradient 2 (deepcopy: an identity)
    import copy

    @ms.jit
    def f(x):
        return copy.deepcopy(x) + x

    x = Tensor(np.array([1.0, 2.0], np.float32))
    close(f(x), [2.0, 4.0])
    close(ops.grad(f)(x), [2.0, 2.0])
    p = Parameter(Tensor(np.array([3.0], np.float32)), name="dc")
    q = copy.deepcopy(p)  # a concrete Parameter: an independent copy, as before
    assert isinstance(q, Parameter) and q.name == "dc" and q._data is not p._data


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.bool_])
def test_relu_of_integers_and_bools(fake, dtype):
    # MindSpore 2.10: ops.relu / ops.ReLU / nn.ReLU take integer and bool Tensors, dtype kept ([1, 0, 3] for
    # [1, -2, 3]; a bool Tensor unchanged)
    a = np.array([1, -2, 3]) if dtype not in (np.uint8, np.bool_) else np.array([1, 0, 3])
    x = Tensor(a.astype(dtype))
    for f in (ops.relu, ops.ReLU(), nn.ReLU()):
        y = f(x)
        assert y.dtype == x.dtype
        np.testing.assert_array_equal(y.asnumpy(), np.maximum(a, 0).astype(dtype))


class _DirtyNotOutput(ms._Function):
    @staticmethod
    def forward(ctx, x, y):
        x.add_(1)
        ctx.mark_dirty(x)
        return x + y

    @staticmethod
    def backward(ctx, dout):
        return dout, dout * 2


def test_custom_function_dirty_tensors_must_be_outputs(fake):
    # MindSpore 2.10: RuntimeError "The dirty tensors must all be outputs of the forward function."
    x, y = Tensor(np.array([2.0, 2.0], np.float32)), Tensor(np.array([3.0, 3.0], np.float32))
    with pytest.raises(RuntimeError, match="The dirty tensors must all be outputs of the forward function"):
        ops.GradOperation(get_all=True)(_DirtyNotOutput.apply)(x, y)


class _Writes(nn.Cell):
    """construct writes attributes: a Python count and Tensors (a running sum, the last input doubled)."""

    def __init__(self):
        super().__init__()
        self.count = 0
        self.acc = Tensor(np.zeros(2, np.float32))
        self.last = None

    def construct(self, t):
        self.count = self.count + 1
        self.acc = self.acc + t
        self.last = t * 2
        return t * self.count + self.acc


@pytest.mark.parametrize("mode", ["default", "pynative", "graph"])
def test_attribute_writes_in_construct_take_effect_every_call(fake, mode):
    """MindSpore runs a construct's attribute writes on every call, in GRAPH_MODE too (its static-graph
    attribute assignment); the trace must not be reused with the first call's write baked in. Expected: the
    same construct run by Python on NumPy arrays."""
    if mode != "default":
        ms.set_context(mode=ms.PYNATIVE_MODE if mode == "pynative" else ms.GRAPH_MODE)
    net, count, acc = _Writes(), 0, np.zeros(2, np.float32)
    for i in range(4):
        a = np.array([1.0, -2.0], np.float32) * (i + 1)
        out = net(Tensor(a))
        count, acc = count + 1, acc + a
        close(out, a * count + acc)
        assert net.count == count
        close(net.acc, acc)
        close(net.last, a * 2)
