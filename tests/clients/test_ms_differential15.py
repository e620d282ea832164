"""Round 15 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 15 (keyword arguments and
NumPy-style Tensor method arguments, integer / float16 / bfloat16 reductions with dtype=, negative and out-of-range
axes, alpha= / beta= / value= and in-place methods under grad, gradient API spellings), run as the same text in
MindSpore 2.10 CPU (/work/msvenv) and in the SDK, beside probes by hand. The harness's own check and a regression
test per wrong answer found. Each test says where its expected values come from."""
import numpy as np
import pytest

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen15 as gen15  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round15_programs_are_reproducible_compile_and_draw_every_form():
    _ms_rounds.checked_programs(gen15.programs15, 15, forms={"kw15", "dtype15", "axis15", "alpha15", "api15"},
                                modes={"value", "jvp", "vjp", "jit_grad", "sens", "grad_grad", "hessian"},
                                spellings=("initial=", "where=m", "keep_dims=True", "dtype=ms.float64", "alpha=",
                                           "ms.grad(", "return_ids", "ops.GradOperation()(h)", "ms.bfloat16",
                                           ".add_(", "scale=0.5", "ddof="))


# ----------------------------------------------------------------------------------------- wrong answers fixed
def test_renorm_of_a_vector_clips_each_element(mindspore_is_gradserve):
    """ops.renorm of a 1-D input along dim 0: each slice is one element, its norm |x|. The empty axes tuple left
    after taking dim 0 out reduced every axis: [1.5, 0.4, -0.6] gave [0.9013, 0.2403, -0.3605]. MindSpore 2.10.0
    CPU (run by hand): [1.0, 0.4, -0.6]. The gradient: closed form (x * c / (|x| + 1e-7) has slope ~0 for the
    clipped 1.5, the rest pass through)."""
    from mindspore import Tensor, ops
    v = Tensor(np.array([1.5, 0.4, -0.6], np.float32))
    np.testing.assert_allclose(ops.renorm(v, 2, 0, 1.0).asnumpy(), [1.0, 0.4, -0.6], rtol=1e-6)
    np.testing.assert_allclose(ops.renorm(v, 1, -1, 0.5).asnumpy(), [0.5, 0.4, -0.5], rtol=1e-6)
    g = ops.grad(lambda a: ops.renorm(a, 2, 0, 1.0).sum())(v)
    np.testing.assert_allclose(g.asnumpy(), [0.0, 1.0, 1.0], atol=1e-6)


_X = np.array([[0.3, -1.2, 0.5], [0.7, 2.0, -0.4]], np.float32)


def _out_of_range_calls():
    """(call, MindSpore 2.10.0 CPU's exception class, a piece of its text): each answered along axis % ndim before
    (cummax(x, 2): along axis 0). MindSpore's IndexError crashes (cummin(x, 2), ops.diff(x, 1, 2)) are ValueErrors
    here, with NumPy's text for diff."""
    import mindspore.numpy as mnp
    from mindspore import Tensor, nn, ops
    x, idx = Tensor(_X), Tensor(np.array([1, 2], np.int32))
    return [
        (lambda: ops.cummax(x, 2), ValueError, "axis must be in [-2,2)"),
        (lambda: ops.Cummax(-3)(x), ValueError, "but got -3"),
        (lambda: x.cummax(2), ValueError, "For primitive[Cummax]"),
        (lambda: ops.cummin(x, -3), ValueError, "[-2,2)"),
        (lambda: ops.median(x, 2), ValueError, "For primitive[Median], the axis must be in [-2,2), but got 2."),
        (lambda: ops.nanmedian(x, -3), ValueError, "For primitive[Median]"),
        (lambda: x.median(2), ValueError, "For primitive[Median]"),
        (lambda: ops.logcumsumexp(x, 2), RuntimeError, "'axis' must be in range [-2, 2), but got: 2"),
        (lambda: ops.logcumsumexp(Tensor(1.5), 0), ValueError, "rank must be greater than or equal to 1"),
        (lambda: ops.renorm(x, 2, -3, 1.0), RuntimeError, "'dim' must be in range [-2, 2), but got -3"),
        (lambda: ops.cross(ops.ones((2, 3)), x, dim=-3), ValueError, "dim must be between -2 and 1 , but got -3"),
        (lambda: ops.diff(x, 1, 2), ValueError, "axis 2 is out of bounds for array of dimension 2"),
        (lambda: mnp.diff(x, 1, -3), ValueError, "out of bounds"),
        (lambda: mnp.rollaxis(x, 2), ValueError, "axis 2 is out of bounds for array of dimension 2"),
        (lambda: mnp.take_along_axis(x, Tensor(np.array([[0], [1]], np.int32)), 2), ValueError, "out of bounds"),
        (lambda: mnp.gradient(x, axis=2), ValueError, "out of bounds"),
        (lambda: ops.ReverseSequence(1, 2)(x, idx), ValueError, "'batch_dim' must be in range of [0, 2)"),
        (lambda: ops.flatten(x, start_dim=2), ValueError, "'start_dim' or 'end_dim' out of range."),
        (lambda: ops.flatten(x, start_dim=-3), ValueError, "out of range"),
        (lambda: ops.flatten(x, start_dim=0, end_dim=2), ValueError, "out of range"),
        (lambda: x.flatten(0, 5), ValueError, "out of range"),
        (lambda: nn.Flatten(2)(x), ValueError, "out of range"),
        (lambda: ops.flatten(x, start_dim=1, end_dim=0), ValueError, "'start_dim' cannot come after 'end_dim'"),
        (lambda: ops.flatten(Tensor(1.5), start_dim=3, end_dim=4), ValueError, "out of range"),
        (lambda: ops.flatten(Tensor(_X[0]), start_dim=0, end_dim=1), ValueError, "out of range"),
        # a repeated axis: flipped once (ops.flip) or twice (mindspore.numpy.flip) before
        (lambda: ops.flip(x, (0, 0)), ValueError, "For ReverseV2, 'axis' cannot contain duplicate dimensions, but got 0"),
        (lambda: x.flip((1, -1)), ValueError, "duplicate dimensions, but got 1"),
        (lambda: mnp.flip(x, (0, 0)), ValueError, 'duplicate value in "axis"'),
    ]


def test_out_of_range_axes_are_refused_not_wrapped(mindspore_is_gradserve):
    for call, exc, text in _out_of_range_calls():
        with pytest.raises(exc) as info:
            call()
        assert text in str(info.value), (text, str(info.value))


def test_in_range_and_negative_axes_still_answer(mindspore_is_gradserve):
    """The same ops with axes in range: NumPy's answers (the running max / min, median, flatten shapes: MindSpore
    2.10.0 CPU's, run by hand, incl. a rank-0 / rank-1 input with ops.flatten's defaults (1, -1) and transpose with
    negative perm entries)."""
    import mindspore.numpy as mnp
    from mindspore import Tensor, ops
    x = Tensor(_X)
    np.testing.assert_allclose(ops.cummax(x, -2)[0].asnumpy(), np.maximum.accumulate(_X, 0))
    np.testing.assert_allclose(ops.cummin(x, -1)[0].asnumpy(), np.minimum.accumulate(_X, 1))
    np.testing.assert_allclose(ops.median(x, -2)[0].asnumpy(), [0.3, -1.2, -0.4])  # the lower middle of 2
    np.testing.assert_allclose(ops.diff(x, 1, -2).asnumpy(), np.diff(_X, 1, 0))
    np.testing.assert_allclose(mnp.rollaxis(x, -1).asnumpy(), np.rollaxis(_X, -1))
    np.testing.assert_allclose(ops.logcumsumexp(x, -1).asnumpy(), np.log(np.cumsum(np.exp(_X), 1)), rtol=1e-5)
    shapes = {(-2, -1): (6,), (0, 1): (6,), (1, 1): (2, 3), (0, -2): (2, 3), (-1, -1): (2, 3)}
    for (s, e), want in shapes.items():
        assert ops.flatten(x, start_dim=s, end_dim=e).shape == want
    assert ops.flatten(Tensor(_X[0])).shape == (3,)  # rank 1: the defaults (1, -1) are taken
    assert Tensor(_X[0]).flatten(-1, 0).shape == (3,)
    assert ops.flatten(Tensor(1.5)).shape == (1,)
    np.testing.assert_allclose(ops.transpose(x, (-1, -2)).asnumpy(), _X.T)
    g = ops.grad(lambda a: (ops.transpose(a, (-1, 0)) * Tensor(_X.T)).sum())(x)
    np.testing.assert_allclose(g.asnumpy(), _X)
