"""MindSpore idioms found by running MindSpore's own test files through the SDK (round 4). Expected values
come from MindSpore 2.10 (CPU, PyNative) run on the same programs for this task (/work/wt/_msvenv), or from
NumPy / finite differences where noted."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn, ops
from gradserve.ops import operations as P


def close(t, want, **kw):
    np.testing.assert_allclose(np.asarray(t.asnumpy() if isinstance(t, Tensor) else t), want, rtol=1e-5,
                               atol=1e-5, **kw)


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


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_give_a_nan_pair_the_whole_gradient(on_real_server, op):  # (NaN in JSON: a real server):
    # MindSpore 2.10 (ops.GradOperation(get_all=True, sens_param=True), either operand order) and PyTorch
    # (torch.maximum / torch.minimum backward) give both operands the whole cotangent where one is NaN
    x = Tensor(np.array([1.7, 9.6, 5.8, 2.0], np.float32))
    y = Tensor(np.array([np.nan, np.nan, 1.0, 2.0], np.float32))
    g = Tensor(np.array([1.43, -1.09, 0.034, 1.0], np.float32))
    f = getattr(ops, op)
    tie_or_win = {"maximum": ([1.0, 0.5], [0.0, 0.5]), "minimum": ([0.0, 0.5], [1.0, 0.5])}[op]
    for a, b, (sa, sb) in ((x, y, tie_or_win), (y, x, tie_or_win[::-1])):
        da, db = ops.GradOperation(get_all=True, sens_param=True)(f)(a, b, g)
        close(da, [1.43, -1.09, 0.034 * sa[0], sa[1]])
        close(db, [1.43, -1.09, 0.034 * sb[0], sb[1]])
    (t,) = [ms.jvp(f, (x, y), (Tensor(np.ones(4, np.float32)), Tensor(np.ones(4, np.float32))))[1]]
    close(t, [2.0, 2.0, 1.0, 1.0])  # the jvp is the vjp's transpose: each tangent in whole at a NaN


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
